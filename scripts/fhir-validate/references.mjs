// The profiles a reference's target must conform to (an mCODE TNM category's subject
// is a CancerPatient, an IPS MedicationStatement's medication a Medication-uv-ips),
// which Medplum's validateResource does not check: every reference of a profiled
// element that resolves within the bundle must reach a resource conforming to one of
// the element's target profiles held in the IG packages. Target profiles none of which
// are held (US Core's), nor derived by a held profile, are not checked, and stay listed
// under "notChecked"; neither are references that do not resolve in the bundle, nor
// those inside slices.
import { childValues } from './slices.mjs';

const BASE = 'http://hl7.org/fhir/StructureDefinition/';

const unversioned = (url) => url.split('|')[0];

/** Whether the held profile `url` derives, through its baseDefinitions, from `base`. */
function derives(url, base, profiles) {
  for (let at = profiles.get(url)?.sd; at; at = profiles.get(unversioned(at.baseDefinition ?? ''))?.sd) {
    if (unversioned(at.baseDefinition ?? '') === base) {
      return true;
    }
  }
  return false;
}

/** Target profiles of an element's Reference type beyond base R4: {held, other}, held
 * counting, for a target profile not held (US Core Patient), the held profiles derived
 * from it (mCODE CancerPatient): a resource conforming to one conforms to its base. */
export function targetProfiles(element, profiles) {
  const urls = (element.type ?? [])
    .filter((t) => t.code === 'Reference')
    .flatMap((t) => t.targetProfile ?? [])
    .map(unversioned)
    .filter((url) => !url.startsWith(BASE));
  const held = urls.filter((url) => profiles.has(url));
  const other = urls.filter((url) => !held.includes(url));
  const derived = [...profiles.keys()].filter((url) => other.some((base) => derives(url, base, profiles)));
  return { held: [...held, ...derived], other };
}

/** The values at a non-slice element's path, with a FHIRPath-like location. */
function valuesAt(resource, path) {
  let values = [{ value: resource, at: path.split('.')[0] }];
  for (const name of path.split('.').slice(1)) {
    values = values.flatMap(({ value, at }) =>
      childValues(value, name).map((child, i, all) => ({
        value: child.value,
        type: child.type,
        at: `${at}.${name.replace('[x]', child.type ?? '')}${all.length > 1 || Array.isArray(value?.[name]) ? `[${i}]` : ''}`,
      }))
    );
  }
  return values;
}

/**
 * Issues of `resource` against the target profiles of `sd`'s references.
 * @param profiles - url -> loaded profile (profiles.mjs)
 * @param conforms - (resource, profileUrl) -> boolean
 * @param resolve - (reference string) -> resource or undefined, within the bundle
 */
export function checkReferences(resource, sd, profiles, conforms, resolve) {
  const issues = [];
  for (const element of sd.snapshot.element) {
    if (element.id.includes(':')) {
      continue;
    }
    const { held, other } = targetProfiles(element, profiles);
    if (!held.length) {
      continue;
    }
    for (const { value, type, at } of valuesAt(resource, element.path)) {
      if (type && type !== 'Reference') {
        continue; // medicationCodeableConcept beside medicationReference
      }
      const target = resolve(value?.reference);
      if (!target || held.some((url) => conforms(target, url))) {
        continue;
      }
      const names = held.map((url) => url.split('/').pop()).join(' or ');
      issues.push({
        // With a target profile not held here, the target may conform to that one.
        severity: other.length ? 'warning' : 'error',
        code: 'structure',
        expression: at,
        message: `The referenced ${target.resourceType} ${value.reference} does not conform to ${names}${other.length ? ` (nor is it checked against ${other.join(', ')})` : ''}`,
        by: 'references.mjs',
      });
    }
  }
  return issues;
}
