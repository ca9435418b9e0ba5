"""The coordinator console, included by the root URLconf at console/."""

from django.urls import path

from casebridge.web.console import (
    views_case,
    views_case_changes,
    views_corrections,
    views_files,
    views_matching,
    views_messages,
    views_packs,
    views_queue,
    views_requests,
    views_reviewers,
)

app_name = "console"

urlpatterns = [
    path("", views_queue.queue, name="queue"),
    path("enquiries/<int:pk>/", views_queue.enquiry_detail, name="enquiry"),
    path("enquiries/<int:pk>/clear-red-flag", views_queue.clear_red_flag, name="clear_red_flag"),
    path("reviewers/", views_reviewers.reviewers, name="reviewers"),
    path(
        "reviewers/<int:reviewer>/active",
        views_reviewers.reviewer_active,
        name="reviewer_active",
    ),
    path("cases/<str:ref>/", views_case.case_detail, name="case"),
    path("cases/<str:ref>/status", views_case_changes.change_status, name="change_status"),
    path("cases/<str:ref>/assign", views_case_changes.assign, name="assign"),
    path("cases/<str:ref>/safety-reviewed", views_case_changes.review_safety, name="review_safety"),
    path("cases/<str:ref>/notes", views_messages.add_note, name="add_note"),
    path("cases/<str:ref>/facts", views_corrections.correct_fact, name="correct_fact"),
    path(
        "cases/<str:ref>/facts/marked-wrong/restore",
        views_corrections.restore_marked_wrong,
        name="restore_marked_wrong",
    ),
    path("cases/<str:ref>/messages", views_messages.send_message, name="send_message"),
    path("cases/<str:ref>/requests", views_case_changes.request_records, name="request_records"),
    path("cases/<str:ref>/matching", views_matching.choose_direction, name="choose_direction"),
    path("cases/<str:ref>/pack", views_packs.prepare_pack, name="prepare_pack"),
    path("cases/<str:ref>/pack/<int:number>/send", views_packs.send_pack, name="send_pack"),
    path("cases/<str:ref>/review", views_reviewers.assign_review, name="assign_review"),
    path("cases/<str:ref>/review/revoke", views_reviewers.revoke_review, name="revoke_review"),
    path(
        "cases/<str:ref>/opinion/<int:number>/release",
        views_reviewers.release_opinion,
        name="release_opinion",
    ),
    path(
        "cases/<str:ref>/pack/<int:number>/<int:position>",
        views_packs.pack_file,
        name="pack_file",
    ),
    path(
        "cases/<str:ref>/requests/<int:pk>/close",
        views_requests.close_record_request,
        name="close_record_request",
    ),
    path(
        "cases/<str:ref>/documents/<int:doc>/type",
        views_case_changes.override_doc_type,
        name="override_doc_type",
    ),
    path(
        "cases/<str:ref>/documents/<int:doc>/file", views_files.document_file, name="document_file"
    ),
    path("cases/<str:ref>/outputs/<path:name>", views_files.case_output, name="case_output"),
]
