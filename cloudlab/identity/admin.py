from django.contrib import admin

from .models import Membership, Project, Quota


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


class QuotaInline(admin.StackedInline):
    model = Quota


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "cloud", "description"]
    list_filter = ["cloud"]
    inlines = [MembershipInline, QuotaInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "project", "role"]
    list_filter = ["role", "project__cloud"]
