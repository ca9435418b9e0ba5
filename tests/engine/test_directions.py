"""The directory of China medical directions (knowledge/directions.yaml) and its checks:
the packaged file is sound, and an administrator's broken edit is refused with the entry
and field named."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from casebridge.engine.case import PROGRAMMES
from casebridge.engine.directions import (
    DEFAULT_PATH,
    ConditionGroup,
    Direction,
    DirectoryError,
    load_directions,
    validate_text,
)

TEXT = DEFAULT_PATH.read_text(encoding="utf-8")
FIRST = "directions[0] (fuscc-breast-surgery)"
FIRST_CONDITIONS = (
    "    conditions: [breast_cancer]\n    capabilities: [surgery, breast_reconstruction"
)
FIRST_DEPARTMENT = (
    "zh: 复旦大学附属肿瘤医院}\n    department: {en: Department of Breast Surgery, zh: 乳腺外科}"
)


def _edited(old: str, new: str) -> str:
    """The packaged text with one edit, as an administrator would make it in the console."""
    assert TEXT.count(old) == 1, f"the edit must hit one place: {old!r}"
    return TEXT.replace(old, new)


def _problems(old: str, new: str) -> list[str]:
    return validate_text(_edited(old, new))


# ---------------------------------------------------------------- the packaged file
def test_the_packaged_directory_has_no_problems() -> None:
    assert validate_text(TEXT) == []


def test_it_holds_at_least_25_departments_and_every_programme() -> None:
    directory = load_directions()
    assert len(directory) >= 25
    served = {p for d in directory for p in d.programmes}
    assert served == set(PROGRAMMES)
    assert len({d.hospital.en for d in directory}) >= 20


def test_every_entry_has_a_public_https_source_read_before_it_was_verified() -> None:
    for d in load_directions():
        assert d.sources, d.id
        for s in d.sources:
            assert s.url.startswith("https://") and s.title.strip(), d.id
            assert s.accessed <= d.verified, d.id


def test_the_oncology_entries_cover_several_tumour_groups_haematology_and_particle_therapy() -> (
    None
):
    directory = load_directions()
    oncology = directory.for_programme("oncology")
    groups = {key for d in oncology for key in d.conditions}
    assert {"breast_cancer", "lung_cancer", "gastric_cancer", "liver_cancer"} <= groups
    assert {"lymphoma", "leukaemia", "myeloma"} <= groups
    capabilities = {key for d in oncology for key in d.capabilities}
    assert {"car_t", "proton", "heavy_ion", "stem_cell_transplant"} <= capabilities


def test_the_loader_gives_typed_entries_with_both_names_and_condition_groups() -> None:
    directory = load_directions()
    sphic = directory.get("sphic-proton-heavy-ion")
    assert isinstance(sphic, Direction)
    assert sphic.hospital.en == "Shanghai Proton and Heavy Ion Center"
    assert sphic.hospital.zh == "上海市质子重离子医院"
    assert isinstance(sphic.verified, date) and sphic.verified <= date.today()
    assert sphic.international.service is True and sphic.typical_review_days is None
    lymphoma = directory.condition_groups["lymphoma"]
    assert isinstance(lymphoma, ConditionGroup)
    assert "DLBC" in lymphoma.cancer_types and "follicular lymphoma" in lymphoma.haem
    assert directory.get("no-such-entry") is None


def test_a_field_no_source_documents_is_left_unknown_rather_than_false() -> None:
    directory = load_directions()
    # Where a source names an international service it is true; nowhere is it guessed false.
    assert all(d.international.service is not False for d in directory)
    assert any(d.international.service is True for d in directory)
    assert any(d.remote_review is None and d.international.languages is None for d in directory)


# ---------------------------------------------------------------- a broken edit
def test_an_unknown_condition_key_is_named_with_its_entry() -> None:
    problems = _problems(FIRST_CONDITIONS, FIRST_CONDITIONS.replace("breast_cancer", "brest"))
    assert f"{FIRST}: conditions: unknown condition group 'brest'" in problems


def test_a_programme_the_engine_does_not_have_is_refused() -> None:
    old = "    programmes: [oncology]\n" + FIRST_CONDITIONS
    problems = _problems(old, old.replace("[oncology]", "[oncolgy]"))
    assert any(p.startswith(f"{FIRST}: programmes: 'oncolgy' is not one of") for p in problems)
    # and its breast cancer group now belongs to a programme the entry does not list
    assert any(p.startswith(f"{FIRST}: conditions: 'breast_cancer' belongs to") for p in problems)


def test_a_missing_chinese_name_is_refused() -> None:
    problems = _problems(FIRST_DEPARTMENT, FIRST_DEPARTMENT.replace(", zh: 乳腺外科", ""))
    assert f"{FIRST}: department.zh: the Chinese name is missing" in problems


def test_an_english_name_pasted_into_the_chinese_field_is_refused() -> None:
    problems = _problems(FIRST_DEPARTMENT, FIRST_DEPARTMENT.replace("乳腺外科", "Breast"))
    assert f"{FIRST}: department.zh: 'Breast' has no Chinese characters" in problems


def test_a_plain_http_source_is_refused() -> None:
    old = "url: 'https://english.shca.org.cn/english/show/tc'"
    problems = _problems(old, old.replace("https://", "http://"))
    assert (
        f"{FIRST}: sources[0].url: 'http://english.shca.org.cn/english/show/tc' "
        "is not an https address" in problems
    )


def test_a_made_up_date_is_named_instead_of_breaking_the_whole_file() -> None:
    old = "    verified: 2026-12-07\n    notes: Core of the Shanghai Breast Cancer"
    problems = _problems(old, old.replace("2026-12-07", "2026-02-30"))
    assert f"{FIRST}: verified: '2026-02-30' is not a real date written YYYY-MM-DD" in problems


def test_a_date_in_the_future_and_a_source_read_after_verification_are_refused() -> None:
    text = _edited(
        "    verified: 2026-12-07\n    notes: Core of the Shanghai Breast Cancer",
        "    verified: 2026-12-01\n    notes: Core of the Shanghai Breast Cancer",
    )
    problems = validate_text(text, today=date(2026, 11, 30))
    assert f"{FIRST}: verified: 2026-12-01 is in the future" in problems
    assert (
        f"{FIRST}: sources[0].accessed: 2026-12-07 is after the entry was verified (2026-12-01)"
        in problems
    )


def test_an_entry_without_sources_is_refused() -> None:
    old = (
        "      - {url: 'https://en.z2hospital.com/contents/797/250.html', "
        "title: 'SAHZU Breast Surgery (department page)', accessed: 2026-12-07}\n"
    )
    problems = _problems("    sources:\n" + old, "    sources: []\n")
    assert (
        "directions[1] (sahzu-breast-surgery): sources: at least one public source is needed"
        in problems
    )


def test_a_cancer_type_or_haematolymphoid_name_the_facts_cannot_hold_is_refused() -> None:
    problems = _problems("cancer_types: [BRCA]}", "cancer_types: [BREAST]}") + _problems(
        "      - mantle cell lymphoma\n", "      - mantel cell lymphoma\n"
    )
    assert (
        "condition_groups.breast_cancer.cancer_types: 'BREAST' is not a cancer_type value "
        "of fact_kinds.yaml" in problems
    )
    assert (
        "condition_groups.lymphoma.haem: 'mantel cell lymphoma' is not an entity name "
        "of haematolymphoid.yaml" in problems
    )


def test_a_guess_written_as_a_word_is_refused_and_null_is_accepted() -> None:
    old = "    remote_review: null\n    typical_review_days: null\n    sources:\n      - {url: 'https://english.shca"
    assert _problems(old, old) == []
    problems = _problems(old, old.replace("remote_review: null", "remote_review: probably"))
    assert f"{FIRST}: remote_review: must be true, false or null" in problems
    problems = _problems(old, old.replace("typical_review_days: null", "typical_review_days: 0"))
    assert any(p.startswith(f"{FIRST}: typical_review_days: must be a positive") for p in problems)


def test_a_repeated_id_and_an_unknown_capability_are_refused() -> None:
    text = _edited("  - id: sahzu-breast-surgery\n", "  - id: fuscc-breast-surgery\n")
    assert (
        "directions[1] (fuscc-breast-surgery): id 'fuscc-breast-surgery' is used by an "
        "earlier entry" in validate_text(text)
    )
    problems = _problems(FIRST_CONDITIONS, FIRST_CONDITIONS.replace("surgery,", "teleportation,"))
    assert f"{FIRST}: capabilities: unknown capability 'teleportation'" in problems


def test_text_that_is_not_yaml_gives_its_line() -> None:
    problems = validate_text("version: 1\ndirections: [\n")
    assert len(problems) == 1 and problems[0].startswith("the text is not YAML at line")


def test_loading_a_broken_file_raises_e004_with_every_problem(tmp_path: Path) -> None:
    broken = tmp_path / "directions.yaml"
    text = _edited(FIRST_CONDITIONS, FIRST_CONDITIONS.replace("breast_cancer", "brest"))
    broken.write_text(text.replace("programmes: [fertility]", "programmes: [ivf]"), "utf-8")
    with pytest.raises(DirectoryError) as raised:
        load_directions(broken)
    message = str(raised.value)
    assert message.startswith("E004: directions.yaml:")
    assert "unknown condition group 'brest'" in message
    assert "programmes: 'ivf' is not one of" in message
