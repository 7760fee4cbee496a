"""Insightly plans as the harness models them: the daily request quota, and the objects a plan lacks.

Per api-notes §2.1 and §5.3: quotas per plan; on Professional, Products, Price books, Quotations and
their line items answer 404 and Tickets, Prospects, the knowledge base and the community answer 403.
The notes only describe Professional; the harness assumes the cheaper plans lack the same objects.
"""

from __future__ import annotations

DAILY_QUOTAS = {"free": 1000, "legacy": 20000, "plus": 40000, "professional": 60000, "enterprise": 100000}
MISSING_AS_404 = ("Product", "Pricebook", "PricebookEntry", "Quotation", "QuotationLineItem", "OpportunityLineItem")
MISSING_AS_403 = ("Ticket", "Prospect", "KnowledgeArticle", "KnowledgeArticleCategory", "KnowledgeArticleFolder",
                  "CommunityComments", "CommunityForums", "CommunityPosts", "ForumCategories")
FULL_PLANS = ("enterprise",)


def check_plan(plan: str) -> str:
    if plan not in DAILY_QUOTAS:
        raise ValueError(f"unknown plan {plan!r}; one of {', '.join(DAILY_QUOTAS)}")
    return plan


def missing_status(plan: str, collection: str) -> int | None:
    """403 or 404 when `plan` lacks `collection`, else None."""
    if plan in FULL_PLANS:
        return None
    if collection in MISSING_AS_404:
        return 404
    if collection in MISSING_AS_403:
        return 403
    return None
