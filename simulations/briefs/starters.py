"""Worlds written by hand, to start from when no hosted model can read a brief (offline).

Each is a complete draft (``draft.clean_draft`` accepts it) that a person edits like an
extracted one; the page says it is a template, never that a model read anything.
"""

from __future__ import annotations

from types import MappingProxyType

STARTERS = MappingProxyType(
    {
        "local_policy": {
            "title": "A local policy change",
            "draft": {
                "summary": "The city proposes to close the main street to cars on weekends.",
                "stakeholders": [
                    {
                        "name": "City Council",
                        "handle": "CityCouncil",
                        "stance": "For: calmer streets bring people in.",
                        "interests": "public space, safety, budget",
                        "groups": ["government"],
                        "bio": "",
                    },
                    {
                        "name": "Shop owners' association",
                        "handle": "MainStShops",
                        "stance": "Against: customers who drive will go elsewhere.",
                        "interests": "footfall, parking, deliveries",
                        "groups": ["business"],
                        "bio": "",
                    },
                    {
                        "name": "Cycling club",
                        "handle": "CycleClub",
                        "stance": "For, and asks for more.",
                        "interests": "cycling, safety",
                        "groups": ["residents"],
                        "bio": "",
                    },
                    {
                        "name": "Residents of the side streets",
                        "handle": "SideStreets",
                        "stance": "Worried: the traffic moves onto their streets.",
                        "interests": "noise, parking",
                        "groups": ["residents"],
                        "bio": "",
                    },
                ],
                "posts": [
                    {
                        "author": "CityCouncil",
                        "step": 0,
                        "text": "From next month Main Street is car-free on weekends. Tell us what you think.",
                    },
                ],
                "question": "Should Main Street stay car-free on weekends after the trial?",
            },
        },
        "product_launch": {
            "title": "A product launch",
            "draft": {
                "summary": "A company launches a subscription for a product people used to buy once.",
                "stakeholders": [
                    {
                        "name": "The company",
                        "handle": "BrandHQ",
                        "stance": "For: steady revenue, updates.",
                        "interests": "growth, retention",
                        "groups": ["company"],
                        "bio": "",
                    },
                    {
                        "name": "Long-time customers",
                        "handle": "LoyalUsers",
                        "stance": "Against: they paid once and feel cheated.",
                        "interests": "value, ownership",
                        "groups": ["customers"],
                        "bio": "",
                    },
                    {
                        "name": "New buyers",
                        "handle": "NewBuyers",
                        "stance": "Open: a lower price to start.",
                        "interests": "price, features",
                        "groups": ["customers"],
                        "bio": "",
                    },
                    {
                        "name": "Tech reviewer",
                        "handle": "TechReview",
                        "stance": "Sceptical until tested.",
                        "interests": "reviews, comparisons",
                        "groups": ["press"],
                        "bio": "",
                    },
                ],
                "posts": [
                    {
                        "author": "BrandHQ",
                        "step": 0,
                        "text": "Introducing our new plan: every feature, always up to date, from $4.99 a month.",
                    },
                ],
                "question": "Would you pay for this subscription, and why?",
            },
        },
    }
)
