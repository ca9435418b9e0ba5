// The IPS 2.0.0 and mCODE 4.0.0 StructureDefinitions (npm hl7.fhir.uv.ips and
// hl7.fhir.us.mcode), loaded into Medplum's validator, with what Medplum cannot
// evaluate in each of them named rather than skipped in silence.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataType } from '@medplum/core';
import { checkedBindings } from './bindings.mjs';
import { targetProfiles } from './references.mjs';

export const PACKAGES = ['hl7.fhir.uv.ips', 'hl7.fhir.us.mcode'];

// Medplum's parser knows these discriminator types only; it throws on the others
// ("profile", "exists"). It also folds slices nested under a sliced element into that
// element's own slices (Composition-uv-ips: the section-note extension and entry:problem
// become "slices" of Composition.section, so no section matches sectionProblems, even in
// the IG's own examples). Such a slicing is taken out of the copy Medplum loads, and
// slices.mjs evaluates it instead.
const MEDPLUM_DISCRIMINATORS = new Set(['value', 'pattern', 'type']);

function readPackage(dir) {
  return readdirSync(dir)
    .filter((name) => name.startsWith('StructureDefinition-') && name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')));
}

/** A copy of the SD without the top-level slicings Medplum cannot parse, and their ids. */
function forMedplum(sd) {
  const stripped = [];
  const elements = sd.snapshot.element;
  for (const element of elements) {
    if (!element.slicing || element.id.includes(':')) {
      continue;
    }
    const kinds = element.slicing.discriminator?.map((d) => d.type) ?? [];
    const nested = elements.some((e) => e.sliceName && e.path.startsWith(`${element.path}.`));
    if (nested || kinds.some((kind) => !MEDPLUM_DISCRIMINATORS.has(kind))) {
      stripped.push(element.id);
    }
  }
  if (!stripped.length) {
    return { medplum: sd, stripped };
  }
  const keep = (element) => !stripped.some((id) => element.id.startsWith(`${id}:`));
  const kept = elements.filter(keep).map((element) => {
    if (!stripped.includes(element.id)) {
      return element;
    }
    const { slicing: _slicing, ...rest } = element;
    return rest;
  });
  return { medplum: { ...sd, snapshot: { element: kept } }, stripped };
}

/** What this script cannot check for the profile, each named by its element:
 * extensible bindings, required ones whose value set cannot be expanded offline
 * (bindings.mjs checks the others), the profiles of element types, and reference target
 * profiles not in the packages (references.mjs checks the others). */
function notChecked(sd, terminology, profiles) {
  const out = [];
  const checked = checkedBindings(sd, terminology);
  for (const element of sd.snapshot.element) {
    const { binding } = element;
    if (binding?.valueSet && binding.strength === 'extensible') {
      out.push(`${element.id}: extensible binding to ${binding.valueSet} (codes are not checked against it)`);
    } else if (binding?.valueSet && binding.strength === 'required' && !checked.has(element.id)) {
      const why = terminology.expand(binding.valueSet).reason ?? 'a slice binding unlike its element';
      out.push(`${element.id}: required binding to ${binding.valueSet} (not checked: ${why})`);
    }
    for (const type of element.type ?? []) {
      for (const profile of type.profile ?? []) {
        out.push(`${element.id}: conformance of the ${type.code} to ${profile}`);
      }
    }
    if (!element.id.includes(':')) {
      const { held, other } = targetProfiles(element, profiles);
      if (other.length) {
        const instead = held.length ? `; a resource conforming to ${held.join(' or ')}, derived from one of them, passes` : '';
        out.push(`${element.id}: conformance of the referenced resource to ${other.join(' or ')} (not in the packages${instead})`);
      }
    }
  }
  return out;
}

/** Loads every profile of the IG packages under `nodeModules`; returns url -> profile. */
export function loadProfiles(nodeModules, terminology) {
  const profiles = new Map();
  for (const pkg of PACKAGES) {
    const sds = readPackage(join(nodeModules, pkg)).filter((sd) => sd.kind !== 'logical' && sd.snapshot);
    for (const sd of sds) {
      const { medplum, stripped } = forMedplum(sd);
      loadDataType(medplum);
      profiles.set(sd.url, { sd, medplum, stripped, package: pkg });
    }
  }
  for (const profile of profiles.values()) {
    profile.notChecked = notChecked(profile.sd, terminology, profiles);
  }
  return profiles;
}
