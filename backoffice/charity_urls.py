"""Public URLs of charity take-up (issue 17, DESIGN.md "Interfaces others rely on"): the need
board and its open data, and the charities' own pages with their login."""

from django.urls import path

from .views import charity

urlpatterns = [
    path("needs/", charity.needs_board, name="needs_board"),
    path("needs.json", charity.needs_json, name="needs_json"),
    path("charity/login/", charity.charity_login, name="charity_login"),
    path("charity/logout/", charity.charity_logout, name="charity_logout"),
    path("charity/", charity.charity_home, name="charity_home"),
    path("charity/needs/<int:pk>/", charity.charity_listing, name="charity_listing"),
    path("charity/needs/<int:pk>/claim/", charity.charity_claim, name="charity_claim"),
    path("charity/needs/<int:pk>/pledge/", charity.charity_pledge, name="charity_pledge"),
    path("charity/needs/<int:pk>/campaign/", charity.charity_campaign, name="charity_campaign"),
    path("charity/needs/<int:pk>/messages/", charity.charity_message, name="charity_message"),
    path("charity/take-ups/<int:pk>/deliver/", charity.charity_deliver, name="charity_deliver"),
    path("charity/take-ups/<int:pk>/raised/", charity.charity_raised, name="charity_raised"),
]
