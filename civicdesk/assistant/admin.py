"""The assistant in the admin: read-only. Answers are written, reviewed and published on the
staff pages (/staff/ask/answers/), where the review rules apply; conversations are only seen
through the advisers' queue, which keeps sensitive services to their team."""

from django.contrib import admin

from civicdesk.organisations.admin_scoping import ReadOnlyAdmin

from .models import Article, LogEntry


@admin.register(Article)
class ArticleAdmin(ReadOnlyAdmin):
    list_display = ["title", "status", "review_by", "organisation"]
    list_filter = ["status"]
    search_fields = ["title"]


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "channel", "service_key", "confidence", "organisation"]
    list_filter = ["kind", "channel"]
