from django.contrib import admin

from civicdesk.organisations.admin_scoping import ReadOnlyAdmin

from .models import PageFeedback


@admin.register(PageFeedback)
class PageFeedbackAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "path", "found", "comment"]
    list_filter = ["found"]
