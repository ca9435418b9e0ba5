"""Anticancer drugs whose Simplified Chinese name was confirmed from a public source
(see the URL comment on each entry in terminology_zh.yaml) translate, by generic and brand name."""

import pytest

from casebridge.engine.terminology import translate

CONFIRMED = {
    "mirvetuximab soravtansine": "索米妥昔单抗",
    "Elahere": "索米妥昔单抗",
    "teclistamab": "特立妥单抗",
    "Tecvayli": "特立妥单抗",
    "elranatamab": "埃纳妥单抗",
    "Elrexfio": "埃纳妥单抗",
    "mosunetuzumab": "莫妥珠单抗",
    "Lunsumio": "莫妥珠单抗",
    "enfortumab vedotin": "维恩妥尤单抗",
    "Padcev": "维恩妥尤单抗",
    "lurbinectedin": "芦比替定",
    "Zepzelca": "芦比替定",
    "relugolix": "瑞卢戈利",
    "Orgovyx": "瑞卢戈利",
}


@pytest.mark.parametrize("english, chinese", sorted(CONFIRMED.items()))
def test_confirmed_drug_name_translates(english, chinese):
    spans = translate(english, "drug")
    assert not any(s.untranslated for s in spans)
    assert "".join(s.text for s in spans) == chinese
