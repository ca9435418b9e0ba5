"""The cancer resources of the FHIR bundle, as mCODE profiles them: the primary cancer
Condition, one secondary cancer Condition per metastatic site, and the TNM category and
stage group Observations (render/fhir.py builds the rest)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from casebridge.engine.case import Fact
from casebridge.engine.kb import load
from casebridge.engine.render.fhir_base import (
    LOINC,
    SNOMED,
    TNM_KINDS,
    _ajcc_code,
    _coding,
    _Core,
    _Entry,
    _is_icdo,
    _prefix_class,
    _problem_list,
    _tnm_display,
)


def _snomed(entry: dict[str, Any]) -> dict[str, str]:
    """A SNOMED CT coding from a knowledge entry: its code and display, never without the
    display (the entry's `source` and match keys stay in the knowledge file)."""
    return {"system": SNOMED, "code": str(entry["code"]), "display": str(entry["display"])}


@cache
def _haem_disorders() -> dict[str, dict[str, Any]]:
    """Haematolymphoid entity name (lower case) -> its sourced SNOMED CT disorder."""
    return {
        str(e["name"]).lower(): e["snomed"]
        for e in load("haematolymphoid")["entities"]
        if e.get("snomed")
    }


class _CancerResources(_Core):
    def cancer_code(self, histology: list[Fact], site: list[Fact]) -> dict[str, str] | None:
        """The SNOMED CT disorder of the primary cancer from the knowledge data: the
        histology at its site, else the haematolymphoid entity's disorder, else the site's
        malignant neoplasm, else none."""
        names = [f.value.strip().lower() for f in histology]
        sites = [f.value.strip().lower() for f in site]
        for entry in self.codes["cancer_conditions"]:
            if entry["histology"].lower() in names and entry.get("site", "") in ("", *sites):
                return _snomed(entry)
        # only the histology the Condition is named for: a lymphoma another came from
        # ("transformed from follicular lymphoma") must not code the one it became
        haem = _haem_disorders().get(names[0]) if names else None
        if haem:
            return _snomed(haem)
        for name in sites:
            known = self.codes["cancer_by_site"].get(name)
            if known:
                return _snomed(known)
        return None

    def cancer_condition(self) -> list[_Entry]:
        histology = self.facts("histology")
        diagnosis = self.facts("diagnosis")
        cancer_type = self.facts("cancer_type")
        site = self.facts("primary_site")
        laterality = self.facts("laterality")
        used = histology + diagnosis + cancer_type + site + laterality
        if not (histology or diagnosis or cancer_type or site):
            return []
        # A TCGA study code (cancer_type) is the evaluation's label, never a name shown.
        named = (histology or diagnosis)[:1]
        code: dict[str, Any] = {
            "text": self.scrub(named[0].display) if named else "Cancer (type not stated)"
        }
        codings = [
            _coding(f)
            for f in diagnosis + histology
            if f.code is not None and not _is_icdo(f.code.system)
        ]
        known = self.cancer_code(histology, site)
        if known and all(c["code"] != known["code"] for c in codings):
            codings.append(known)
        if codings:
            code["coding"] = codings[:1]
        resource: dict[str, Any] = {
            "resourceType": "Condition",
            **self.statuses(used, "active", "condition"),
            "category": _problem_list(),
            "code": code,
            "subject": {"reference": self.patient_url},
        }
        morph = [f for f in histology if f.code is not None and _is_icdo(f.code.system)]
        body: dict[str, Any] | None = None
        if site:
            written = site[0].attributes.get("as_written", "").strip() or site[0].display
            body = {"text": self.scrub(written)}
            structure = self.codes["body_sites"].get(site[0].value.strip().lower())
            if structure:
                body["coding"] = [_snomed(structure)]
            elif site[0].code is not None:
                body["coding"] = [_coding(site[0])]
        if laterality:
            lat = self.codes["laterality"].get(laterality[0].value.lower())
            concept: dict[str, Any] = {"text": laterality[0].display}
            if lat:
                concept["coding"] = [dict(lat)]
            body = body or {"text": "primary site not stated"}
            body["extension"] = [
                {"url": self.codes["laterality_extension"], "valueCodeableConcept": concept}
            ]
        if body:
            resource["bodySite"] = [body]
        self.sourced(resource, used)
        if morph:
            resource["extension"].append(
                {
                    "url": self.codes["histology_extension"],
                    "valueCodeableConcept": {"coding": [_coding(morph[0])]},
                }
            )
        summary = code["text"] + (f", {body['text']}" if body else "")
        if laterality:
            summary += f" ({laterality[0].display})"
        claims = ["condition", "primary_cancer"]
        entry = self.add(resource, "condition|primary-cancer", summary, claims)
        self.cancer_url = entry.full_url
        return [entry]

    def metastases(self) -> list[_Entry]:
        """One mCODE SecondaryCancerCondition per metastatic site a clinical record asserts:
        the site's secondary-neoplasm disorder (else the metastatic disorder root) with its
        ICD-10-CM code, the site in bodySite (its level, "T9", kept in the text), related to
        the primary cancer."""
        out = []
        for group in self.groups("metastatic_site"):
            first = group[0]
            site = self.codes["metastatic_sites"].get(first.value.strip().lower(), {})
            codings = [_snomed(site.get("disorder") or self.codes["metastatic_disorder"])]
            if site.get("icd10cm"):
                icd = site["icd10cm"]
                codings.append(
                    {
                        "system": self.codes["icd10cm"],
                        "code": icd["code"],
                        "display": icd["display"],
                    }
                )
            shown = next((f.display for f in group if f.attributes.get("level")), first.display)
            body: dict[str, Any] = {"text": self.scrub(shown)}
            if site.get("body"):
                body["coding"] = [_snomed(site["body"])]
            resource: dict[str, Any] = {
                "resourceType": "Condition",
                **self.statuses(group, "active", "condition"),
                "category": _problem_list(),
                "code": {"coding": codings, "text": f"Metastasis: {self.scrub(shown)}"},
                "bodySite": [body],
                "subject": {"reference": self.patient_url},
            }
            self.sourced(resource, group)
            if self.cancer_url:
                related = {"reference": self.cancer_url}
                link = {"url": self.codes["condition_related_extension"], "valueReference": related}
                resource["extension"].append(link)
            claims = ["condition", "secondary_cancer"]
            key = f"condition|metastasis|{first.value.strip().lower()}"
            out.append(self.add(resource, key, f"Metastasis: {shown}", claims))
        return out

    def staging(self) -> list[_Entry]:
        out: list[_Entry] = []
        editions = self.facts("tnm_edition")
        by_class: dict[str, list[list[Fact]]] = {}
        for group in self.groups(*TNM_KINDS):
            by_class.setdefault(_prefix_class(group[0]), []).append(group)
        for pclass, groups in by_class.items():
            members: list[str] = []
            stage_groups: list[list[Fact]] = []
            for group in groups:
                first = group[0]
                if first.kind == "stage_group":
                    stage_groups.append(group)
                    continue
                entry = self._tnm(group, pclass, editions)
                members.append(entry.full_url)
                out.append(entry)
            for group in stage_groups:
                entry = self._tnm(group, pclass, editions, members)
                out.append(entry)
        return out

    def _tnm(
        self, group: list[Fact], pclass: str, editions: list[Fact], members: list[str] | None = None
    ) -> _Entry:
        first = group[0]
        spec = self.codes["tnm"].get(pclass, {}).get(first.kind)
        snomed = self.codes["tnm_snomed"][pclass or "unprefixed"][first.kind]
        label = {
            "stage_group": "Stage group",
            "t_category": "T category",
            "n_category": "N category",
        }.get(first.kind, "M category")
        # mCODE prefers the SNOMED CT staging type; LOINC stays as a second coding.
        codings = [{"system": SNOMED, **snomed}]
        system = str(first.attributes.get("system", ""))
        if system:  # a stage of another system (R-ISS for myeloma) is not a TNM stage group
            resource = self._observation(group, {"text": f"{system} stage"}, "exam")
            resource["valueCodeableConcept"] = {"text": self.scrub(first.value)}
            return self.add(resource, f"stage|{first.id}", f"{system} stage: {first.value}", [])
        if spec:
            codings.append({"system": LOINC, **spec})
            code: dict[str, Any] = {"coding": codings, "text": spec["display"]}
        else:
            code = {"coding": codings, "text": f"TNM {label} (clinical or pathological not stated)"}
        shown = _tnm_display(first)
        resource = self._observation(
            group, code, self.codes["tnm_category"][pclass or "unprefixed"]
        )
        value: dict[str, Any] = {"text": shown}
        ajcc = _ajcc_code(first, pclass)
        value_codings = []
        snomed_values = {k.lower(): v for k, v in self.codes["tnm_value_snomed"].items()}
        known = snomed_values.get((ajcc or shown).lower())
        if known and (ajcc or pclass):
            value_codings.append({"system": SNOMED, **known})
        if ajcc:
            value_codings.append({"system": self.codes["tnm_value_system"], "code": ajcc})
        if value_codings:
            value["coding"] = value_codings
        resource["valueCodeableConcept"] = value
        resource["method"] = self.staging_method(editions)
        if members:
            resource["hasMember"] = [{"reference": url} for url in members]
        # A stage group is an mCODE TNM stage group only with the cancer it stages (focus
        # 1..1) and only for a cancer TNM stages (not a lymphoma's Ann Arbor stage).
        claims: list[str] = []
        if self.tnm_applies() and (first.kind != "stage_group" or self.cancer_url):
            claims = [f"tnm.{first.kind}"]
        return self.add(resource, f"tnm|{first.id}", f"{label}: {shown}", claims)

    def staging_method(self, editions: list[Fact]) -> dict[str, Any]:
        """The staging system as mCODE codes it: AJCC by edition where the record says
        AJCC, UICC for "TNM"/"UICC", the words as written the text; none stated: absent."""
        if not editions:
            return self.absent()
        fact = editions[0]
        said = " ".join([fact.value, fact.display, fact.source.snippet if fact.source else ""])
        methods = self.codes["staging_method"]
        edition = fact.value.strip().lower()
        if "ajcc" in said.lower() and edition in methods["ajcc"]:
            coding = dict(methods["ajcc"][edition])
        else:
            coding = dict(methods["uicc"])
        return {"coding": [coding], "text": self.scrub(fact.display)}

    def tnm_applies(self) -> bool:
        """False for a haematolymphoid cancer (ICD-O-3 morphology in the knowledge range),
        which TNM does not stage."""
        span = self.codes["tnm_not_for_morphology"]
        for fact in self.facts("histology"):
            if fact.code is not None and _is_icdo(fact.code.system):
                digits = re.match(r"\d{4}", fact.code.code)
                if digits and span["from"] <= int(digits.group()) <= span["to"]:
                    return False
        return True
