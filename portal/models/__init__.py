from .navigation import FooterLink, HeaderLink, SiteNavigation
from .pages import (
    DisclosurePage,
    HomePage,
    InterpretationPage,
    NoticeAttachment,
    NoticePage,
    PlainPage,
    PortalPage,
    SectionPage,
    StatisticsReleasePage,
)
from .search import SearchDocument, SearchPosting

__all__ = [
    "DisclosurePage",
    "FooterLink",
    "HeaderLink",
    "HomePage",
    "InterpretationPage",
    "NoticeAttachment",
    "NoticePage",
    "PlainPage",
    "PortalPage",
    "SearchDocument",
    "SearchPosting",
    "SectionPage",
    "SiteNavigation",
    "StatisticsReleasePage",
]
