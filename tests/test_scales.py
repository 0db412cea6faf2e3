"""Scale scoring and bands, checked against the published tables (not against the KB).

Expected values are typed in from the sources:
- PHQ-9 bands: Kroenke, Spitzer & Williams 2001 (J Gen Intern Med 16:606), severity categories
  0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27 severe;
  NICE NG222 less severe (<16) / more severe (>=16); remission PHQ-9 < 5 (CMS159).
- QIDS-SR16: domain-max scoring and bands 0-5, 6-10, 11-15, 16-20, 21-27 (Rush 2003;
  ids-qids.org); remission <= 5 (STAR*D, Rush 2006).
- MADRS: severe at 35 or more (Muller 2000); remission <= 10 (Zimmerman 2004).
- HAM-D17: 9 items scored 0-4 and 8 items 0-2, total 0-52 (Hamilton 1960); moderate from
  17 and severe from 24 (Zimmerman 2013); remission <= 7 (STAR*D).
"""

from __future__ import annotations

from datetime import date

import pytest

from builder import Case
from trdnav.record.errors import RecordError
from trdnav.record.normalise import scale_total
from trdnav.rules.scales import band_of

PHQ9 = [
    (0, "minimal"),
    (4, "minimal"),
    (5, "mild"),
    (9, "mild"),
    (10, "moderate"),
    (14, "moderate"),
    (15, "moderately severe"),
    (19, "moderately severe"),
    (20, "severe"),
    (27, "severe"),
]
PHQ9_NICE = [(0, "less severe"), (15, "less severe"), (16, "more severe"), (27, "more severe")]
QIDS = [
    (0, "none"),
    (5, "none"),
    (6, "mild"),
    (10, "mild"),
    (11, "moderate"),
    (15, "moderate"),
    (16, "severe"),
    (20, "severe"),
    (21, "very severe"),
    (27, "very severe"),
]
MADRS = [(0, "below severe"), (34, "below severe"), (35, "severe"), (60, "severe")]
HAMD = [(0, "mild or less"), (16, "mild or less"), (17, "moderate"), (23, "moderate"), (24, "severe"), (52, "severe")]


@pytest.mark.parametrize(
    ("scale", "band_set", "table"),
    [
        ("phq9", None, PHQ9),
        ("phq9", "nice-ng222", PHQ9_NICE),
        ("qids_sr16", None, QIDS),
        ("madrs", None, MADRS),
        ("hamd17", None, HAMD),
    ],
)
def test_every_band_boundary(kb, scale, band_set, table):
    s = kb.scale_by_id[scale]
    for total, label in table:
        assert band_of(s, total, band_set) == label, (scale, total)


@pytest.mark.parametrize(
    ("scale", "last_remitted", "first_not"),
    [
        ("phq9", 4, 5),
        ("qids_sr16", 5, 6),
        ("madrs", 10, 11),
        ("hamd17", 7, 8),
    ],
)
def test_remission_cutoffs(scale, last_remitted, first_not):
    case = Case().episode()
    case.score(scale, date(2024, 2, 1), total=20).score(scale, date(2024, 4, 1), total=last_remitted)
    traj = next(t for t in case.assess().scales if t.scale == scale)
    assert traj.points[-1].remission is True and traj.status == "remission"
    case = Case().episode()
    case.score(scale, date(2024, 2, 1), total=20).score(scale, date(2024, 4, 1), total=first_not)
    traj = next(t for t in case.assess().scales if t.scale == scale)
    assert traj.points[-1].remission is False


def test_qids_scores_nine_domains_by_their_highest_item(kb):
    qids = kb.scale_by_id["qids_sr16"]
    # sleep items 1-4 -> max 3; mood 2; appetite/weight 6-9 -> max 2; then 1,1,0,3,2; psychomotor 15-16 -> max 1
    items = (1, 3, 0, 2, 2, 0, 2, 1, 0, 1, 1, 0, 3, 2, 1, 0)
    assert scale_total(qids, items) == 3 + 2 + 2 + 1 + 1 + 0 + 3 + 2 + 1
    assert scale_total(qids, (3,) * 16) == 27  # domain scoring caps the total at 27, not 48


def test_hamd17_item_ranges_follow_hamilton(kb):
    hamd = kb.scale_by_id["hamd17"]
    assert sum(hamd.item_maxima) == 52
    assert [i + 1 for i, m in enumerate(hamd.item_maxima) if m == 2] == [4, 5, 6, 12, 13, 14, 16, 17]
    case = Case().episode()
    case.score("hamd17", date(2024, 2, 1), items=[4, 4, 4, 3, 2, 2, 4, 4, 4, 4, 4, 2, 2, 2, 4, 2, 2])
    with pytest.raises(RecordError) as err:
        case.assess()
    assert err.value.problems[0].field == "scales[0].items[3]"
    assert "0 to 2" in err.value.problems[0].expected


def test_phq9_item_answers_sum_to_total():
    case = Case().episode().score("Patient Health Questionnaire-9", date(2024, 2, 1), items=[3, 3, 2, 2, 1, 1, 1, 0, 0])
    traj = case.assess().scales[0]
    assert traj.points[0].total == 13 and traj.points[0].band == "moderate"


def test_safety_item_above_zero_is_a_warning_never_hidden():
    case = Case().episode().score("phq9", date(2024, 2, 1), items=[0, 0, 0, 0, 0, 0, 0, 0, 2])
    result = case.assess()
    assert any(w.kind == "safety" and "item 9" in w.message for w in result.warnings)
    case = Case().episode().score("phq9", date(2024, 2, 1), items=[1, 1, 1, 1, 1, 1, 1, 1, 0])
    assert not case.assess().warnings


def test_trajectory_statuses_use_response_and_partial_cutoffs():
    def status(first, last):
        case = (
            Case().episode().score("madrs", date(2024, 2, 1), total=first).score("madrs", date(2024, 4, 1), total=last)
        )
        return case.assess().scales[0].status

    assert status(40, 20) == "response"  # 50% fall
    assert status(40, 21) == "partial_response"  # 47.5%
    assert status(40, 30) == "partial_response"  # 25%
    assert status(40, 31) == "non_response"  # 22.5%
    assert status(40, 10) == "remission"


def test_scores_outside_the_current_episode_are_not_in_its_trajectory():
    case = Case().episode(start=date(2024, 1, 1))
    case.score("phq9", date(2023, 6, 1), total=25).score("phq9", date(2024, 2, 1), total=10)
    traj = case.assess().scales[0]
    assert [p.total for p in traj.points] == [10]
    assert traj.status == "single_score"


def test_totals_only_leave_the_safety_item_unknown_and_say_so():
    case = Case().episode().score("phq9", date(2024, 2, 1), total=18)
    traj = case.assess().scales[0]
    assert "item 9 (thoughts of death or self-harm) unknown" in traj.summary
    assert traj.basis.missing == ("scales[0].items (item 9)",)
