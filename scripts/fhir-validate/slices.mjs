// What a profile says inside its slices, which Medplum's validateResource does not
// evaluate: Medplum counts the values of each top-level slice but never looks inside
// one (IPS ips-comp-1 "a section has entries or an emptyReason" sits on the slice
// Composition.section:sectionProblems), never counts slices nested in slices, and
// cannot parse "profile" discriminators at all (Bundle-uv-ips entries, mCODE stage
// group hasMember). This walks the profile's snapshot and, for every slice, assigns each
// value to the slice its discriminators select, then checks the slice's cardinality
// (where Medplum did not), and inside each matched value the cardinality, fixed and
// pattern values and the profile's own invariants of the slice's elements.
//
// A discriminator it cannot decide (a value discriminator whose slice gives only a
// value set binding, or "exists") leaves that slice unevaluated, and says so.
import { deepEquals, evalFhirPath } from '@medplum/core';

const BASE = 'http://hl7.org/fhir/StructureDefinition/';
const UNKNOWN = Symbol('undecidable');

function arrayify(value) {
  if (value === undefined || value === null) {
    return [];
  }
  return Array.isArray(value) ? value : [value];
}

/** The values of `name` ("code", "value[x]") in a JSON object, each as {value, type}:
 * type is the choice suffix of a [x] element or the resourceType of a resource; a
 * primitive given only by its extension (`_effectiveDateTime`) counts as present. */
export function childValues(parent, name) {
  if (!parent || typeof parent !== 'object') {
    return [];
  }
  const out = [];
  const push = (key, type) => {
    const values = arrayify(parent[key]);
    const extensions = arrayify(parent[`_${key}`]);
    const count = Math.max(values.length, extensions.length);
    for (let i = 0; i < count; i++) {
      const value = values[i] ?? null;
      out.push({ value, type: type ?? value?.resourceType, extension: extensions[i] });
    }
  };
  if (name.endsWith('[x]')) {
    const stem = name.slice(0, -3);
    for (const key of Object.keys(parent)) {
      const bare = key.startsWith('_') ? key.slice(1) : key;
      if (bare.startsWith(stem) && /^[A-Z]/.test(bare.slice(stem.length)) && (!key.startsWith('_') || !(bare in parent))) {
        push(bare, bare.slice(stem.length));
      }
    }
  } else {
    push(name);
  }
  return out;
}

function lastSegment(id) {
  const segments = id.split('.');
  return segments[segments.length - 1];
}

function includes(value, pattern) {
  if (Array.isArray(pattern)) {
    const values = arrayify(value);
    return pattern.every((p) => values.some((v) => includes(v, p)));
  }
  if (pattern && typeof pattern === 'object') {
    return !!value && typeof value === 'object' && Object.entries(pattern).every(([k, p]) => includes(value[k], p));
  }
  return value === pattern;
}

function fixedOrPattern(element) {
  for (const [key, value] of Object.entries(element)) {
    if (key.startsWith('fixed')) {
      return { kind: 'fixed', value };
    }
    if (key.startsWith('pattern')) {
      return { kind: 'pattern', value };
    }
  }
  return undefined;
}

export class SliceChecker {
  /**
   * @param profiles - url -> loaded profile (profiles.mjs)
   * @param conforms - (resource, profileUrl) -> boolean, for "profile" discriminators
   * @param resolve - (reference string) -> resource or undefined, within the bundle
   */
  constructor(profiles, conforms, resolve) {
    this.profiles = profiles;
    this.conforms = conforms;
    this.resolve = resolve;
  }

  check(resource, profile) {
    const elements = profile.sd.snapshot.element;
    this.byId = new Map(elements.map((e) => [e.id, e]));
    this.children = new Map();
    for (const element of elements) {
      const cut = element.id.lastIndexOf('.');
      if (cut < 0) {
        continue;
      }
      const parent = element.id.slice(0, cut);
      if (!this.children.has(parent)) {
        this.children.set(parent, []);
      }
      this.children.get(parent).push(element);
    }
    this.stripped = new Set(profile.stripped);
    this.issues = [];
    this.undecided = new Set();
    this.walk(elements[0].id, [{ value: resource }], false);
    return { issues: this.issues, undecided: [...this.undecided] };
  }

  issue(severity, expression, message) {
    this.issues.push({ severity, code: 'structure', expression, message, by: 'slices.mjs' });
  }

  walk(nodeId, values, inSlice) {
    for (const child of this.children.get(nodeId) ?? []) {
      const name = lastSegment(child.id);
      if (name.includes(':')) {
        continue; // a slice: reached through its sliced element below
      }
      const perParent = values.map((v) => childValues(v.value, name));
      if (inSlice) {
        perParent.forEach((found) => this.checkElement(child, found));
      }
      if (child.slicing) {
        const evaluatedByMedplum = !inSlice && !this.stripped.has(child.id);
        perParent.forEach((found) => this.checkSlicing(child, found, evaluatedByMedplum));
      }
      this.walk(child.id, perParent.flat(), inSlice);
    }
  }

  checkElement(element, found) {
    const max = element.max === '*' ? Infinity : Number(element.max);
    if (found.length < element.min || found.length > max) {
      this.issue('error', element.id, `Invalid number of values: expected ${element.min}..${element.max}, but found ${found.length}`);
    }
    const fixed = fixedOrPattern(element);
    for (const { value } of found) {
      if (fixed && value !== null) {
        const ok = fixed.kind === 'fixed' ? deepEquals(value, fixed.value) : includes(value, fixed.value);
        if (!ok) {
          this.issue('error', element.id, `Value does not match the ${fixed.kind} value ${JSON.stringify(fixed.value)}`);
        }
      }
      this.checkConstraints(element, value);
    }
  }

  checkConstraints(element, value) {
    for (const constraint of element.constraint ?? []) {
      // Base R4 invariants Medplum evaluates itself on every value.
      if (constraint.severity !== 'error' || constraint.source?.startsWith(BASE) || value === null) {
        continue;
      }
      let result;
      try {
        result = evalFhirPath(constraint.expression, value);
      } catch (err) {
        this.undecided.add(`${element.id}: invariant ${constraint.key} (${err.message})`);
        continue;
      }
      if (!(result.length === 1 && result[0] === true)) {
        this.issue('error', element.id, `Constraint ${constraint.key} not met: ${constraint.human ?? constraint.expression}`);
      }
    }
  }

  checkSlicing(element, found, evaluatedByMedplum) {
    const slices = (this.children.get(element.id.slice(0, element.id.lastIndexOf('.'))) ?? []).filter(
      (e) => e.id.startsWith(`${element.id}:`) && !e.id.slice(element.id.length + 1).includes('.')
    );
    const decidable = slices.filter((slice) => {
      const ok = element.slicing.discriminator.every((d) => this.discriminator(slice, d) !== UNKNOWN);
      if (!ok) {
        this.undecided.add(`${slice.id}: which values belong to this slice (discriminator ${JSON.stringify(element.slicing.discriminator)})`);
      }
      return ok;
    });
    const matched = new Map(decidable.map((slice) => [slice.id, []]));
    for (const item of found) {
      const slice = decidable.find((s) => element.slicing.discriminator.every((d) => this.matches(s, d, item)));
      if (slice) {
        matched.get(slice.id).push(item);
      } else if (element.slicing.rules === 'closed' && decidable.length === slices.length) {
        this.issue('error', element.id, 'Value matches no slice of a closed slicing');
      }
    }
    for (const slice of decidable) {
      const items = matched.get(slice.id);
      if (!evaluatedByMedplum) {
        const max = slice.max === '*' ? Infinity : Number(slice.max);
        if (items.length < slice.min || items.length > max) {
          this.issue('error', element.id, `Incorrect number of values provided for slice '${slice.sliceName}': expected ${slice.min}..${slice.max}, but found ${items.length}`);
        }
      }
      for (const { value } of items) {
        this.checkConstraints(slice, value);
      }
      this.walk(slice.id, items, true);
    }
  }

  /** The element a discriminator looks at, and what it expects there. */
  discriminator(slice, d) {
    const path = d.path.replace(/^\$this\.?/, '');
    if (d.type === 'profile') {
      const target = path === '' || path === 'resolve()' ? slice : this.byId.get(`${slice.id}.${path}`);
      if (!target) {
        return UNKNOWN;
      }
      // A type without a profile is held to its base definition.
      const urls = (target.type ?? []).flatMap((t) =>
        t.code === 'Reference' ? (t.targetProfile ?? []) : (t.profile ?? [`${BASE}${t.code}`])
      );
      return urls.length ? { urls, resolve: path.endsWith('resolve()') } : UNKNOWN;
    }
    if (d.type === 'type' && path.endsWith('resolve()')) {
      // The resource types a reference may resolve to: those of its target profiles.
      const urls = (slice.type ?? []).flatMap((t) => t.targetProfile ?? []);
      const codes = urls.map((url) => this.profiles.get(url)?.sd.type ?? url.slice(BASE.length));
      return codes.length ? { codes, resolve: true } : UNKNOWN;
    }
    const target = path === '' ? slice : this.byId.get(`${slice.id}.${path}`);
    if (d.type === 'type') {
      const codes = (target ?? slice).type?.map((t) => t.code) ?? [];
      return codes.length ? { codes } : UNKNOWN;
    }
    if (d.type === 'value' || d.type === 'pattern') {
      if (target) {
        const fixed = fixedOrPattern(target);
        if (fixed) {
          return fixed;
        }
      }
      // An extension slice names its extension by the type's profile, not by a url child.
      if (path === 'url' && slice.type?.[0]?.code === 'Extension' && slice.type[0].profile?.length) {
        return { kind: 'fixed', value: slice.type[0].profile[0] };
      }
      return UNKNOWN;
    }
    return UNKNOWN; // "exists" and anything newer
  }

  matches(slice, d, item) {
    const expected = this.discriminator(slice, d);
    const path = d.path.replace(/^\$this\.?/, '');
    if (d.type === 'profile') {
      let target = item.value;
      if (expected.resolve) {
        target = this.resolve(item.value?.reference);
      } else if (path) {
        target = childValues(item.value, path)[0]?.value;
      }
      return !!target && expected.urls.some((url) => this.conforms(target, url));
    }
    if (d.type === 'type' && expected.resolve) {
      return expected.codes.includes(this.resolve(item.value?.reference)?.resourceType);
    }
    const at = path === '' ? [item] : childValues(item.value, path);
    if (d.type === 'type') {
      return at.some((v) => expected.codes.includes(v.type ?? v.value?.resourceType));
    }
    return at.some(({ value }) => (expected.kind === 'fixed' ? deepEquals(value, expected.value) : includes(value, expected.value)));
  }
}
