"""The scoring rubric for proposals: the RFP's selection criteria, each rated 0-4 by the reviewers,
and the organization's self-audit, rated from its answers. The weights add up to 100, so the score
of a fully rated proposal is a number from 0 to 100."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

RATINGS = [
    (0, "0 · absent"),
    (1, "1 · weak"),
    (2, "2 · adequate"),
    (3, "3 · strong"),
    (4, "4 · exemplary"),
]
TOP_RATING = 4


@dataclass(frozen=True)
class Criterion:
    field: str
    label: str
    weight: int
    help_text: str


CRITERIA = [
    Criterion(
        "track_record_rating",
        "Track record",
        25,
        "Results with high-poverty students and in turnarounds like these schools.",
    ),
    Criterion(
        "school_model_rating",
        "School model",
        20,
        "A comprehensive, coherent school design for every school of the cluster.",
    ),
    Criterion(
        "capacity_rating",
        "Capacity",
        20,
        "Field staff in each school five days a week; able to ramp up in the pre-launch months.",
    ),
    Criterion(
        "community_rating",
        "Community and district",
        10,
        "Plans for community engagement and for working with the district's offices.",
    ),
    Criterion("budget_rating", "Budget", 10, "A sound budget within the funding terms."),
]
SELF_AUDIT_WEIGHT = 15
# An answer's share of the self-audit rating: a "partly" counts half.
SELF_AUDIT_ANSWER_VALUE = {"yes": 1.0, "partly": 0.5, "no": 0.0}

assert sum(c.weight for c in CRITERIA) + SELF_AUDIT_WEIGHT == 100


def self_audit_rating(answers):
    """The self-audit's rating (0-4) from its answers ("yes", "partly", "no"); None without any."""
    answers = list(answers)
    if not answers:
        return None
    share = sum(SELF_AUDIT_ANSWER_VALUE.get(a, 0.0) for a in answers) / len(answers)
    return Decimal(str(TOP_RATING * share)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def rubric_score(ratings, audit_rating):
    """The 0-100 score from the criteria's ratings (a dict field -> 0-4) and the self-audit's rating.
    None until every criterion is rated; a proposal without a self-audit gets nothing for it."""
    if any(ratings.get(c.field) is None for c in CRITERIA):
        return None
    total = sum(Decimal(c.weight) * Decimal(ratings[c.field]) for c in CRITERIA)
    total += Decimal(SELF_AUDIT_WEIGHT) * (audit_rating or Decimal(0))
    return (total / TOP_RATING).quantize(Decimal("0.01"), ROUND_HALF_UP)
