from django.urls import path

from casebridge.web.portal import (
    views_case,
    views_consent,
    views_documents,
    views_messages,
    views_outputs,
    views_people,
)
from casebridge.web.portal import views_enquiry as enquiry
from casebridge.web.portal import views_export as export
from casebridge.web.portal import views_info as info
from casebridge.web.portal import views_invitation as invitation
from casebridge.web.portal import views_pack as pack
from casebridge.web.portal import views_questions as questions
from casebridge.web.portal import views_sections as sections
from casebridge.web.portal import views_steps as steps

app_name = "portal"

urlpatterns = [
    path("", views_case.home, name="home"),
    path("guidance/", views_case.guidance, name="guidance"),
    path("privacy/", info.privacy, name="privacy"),
    path("terms/", info.terms, name="terms"),
    path("enquiry/", enquiry.start, name="enquiry_start"),
    path("enquiry/seek-care/", enquiry.seek_care, name="seek_care"),
    path("enquiry/details/", enquiry.details, name="enquiry_details"),
    path("enquiry/sent/", enquiry.sent, name="enquiry_sent"),
    # the link in a family invitation (signed, single-use, expiring)
    path("invitation/<str:token>/", invitation.invitation, name="invitation"),
    path("cases/<str:pk>/", views_case.case_home, name="case"),
    path("cases/<str:pk>/documents/", views_documents.documents, name="documents"),
    path("cases/<str:pk>/documents/list/", views_documents.document_list, name="document_list"),
    path(
        "cases/<str:pk>/documents/<int:doc>/", views_documents.document_text, name="document_text"
    ),
    path(
        "cases/<str:pk>/documents/<int:doc>/original/",
        views_documents.document_original,
        name="document_original",
    ),
    path(
        "cases/<str:pk>/documents/<int:doc>/flag/",
        views_documents.flag_document,
        name="flag_document",
    ),
    # the overview's sections, each on its own page
    path("cases/<str:pk>/facts/", sections.facts, name="facts"),
    path("cases/<str:pk>/timeline/", sections.timeline, name="timeline"),
    path("cases/<str:pk>/missing/", sections.missing, name="missing"),
    path(
        "cases/<str:pk>/summary-and-downloads/",
        sections.summary_and_downloads,
        name="summary_and_downloads",
    ),
    path("cases/<str:pk>/facts/<str:fact_id>/", views_documents.fact_source, name="fact_source"),
    # the summary in the site's page; the engine's own page, framed there
    path("cases/<str:pk>/summary/<str:lang>/", sections.summary_preview, name="summary"),
    path(
        "cases/<str:pk>/summary/<str:lang>/page.html",
        views_outputs.summary_page,
        name="summary_page",
    ),
    path("cases/<str:pk>/download/<str:name>", views_outputs.download, name="download"),
    # a copy of everything, as one archive (the patient's own)
    path("cases/<str:pk>/everything.zip", export.export, name="export"),
    path("cases/<str:pk>/letters/<slug:slug>/", views_outputs.letter, name="letter"),
    path(
        "cases/<str:pk>/letters/<slug:slug>/download.<str:fmt>",
        steps.letter_download,
        name="letter_download",
    ),
    path("cases/<str:pk>/consent/", views_consent.consent, name="consent"),
    path("cases/<str:pk>/pack/", pack.pack, name="pack"),
    path("cases/<str:pk>/opinion/", pack.opinion, name="opinion"),
    path("cases/<str:pk>/pack/<int:number>/<int:position>", pack.pack_file, name="pack_file"),
    path("cases/<str:pk>/family/", views_people.family, name="family"),
    path("cases/<str:pk>/messages/", views_messages.case_messages, name="messages"),
    path("cases/<str:pk>/questions/", questions.questions, name="questions"),
    path("cases/<str:pk>/questions/change/", questions.change, name="questions_change"),
    path("cases/<str:pk>/activity/", views_people.activity, name="activity"),
    # A confirmation page first: withdrawal is final.
    path("cases/<str:pk>/withdraw/", steps.withdraw_case, name="withdraw"),
]
