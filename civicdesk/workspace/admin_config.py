"""Installs the admin site that asks council staff for both factors (admin_site.py)."""

from django.contrib.admin.apps import AdminConfig


class CivicDeskAdminConfig(AdminConfig):
    default_site = "civicdesk.workspace.admin_site.CivicDeskAdminSite"
