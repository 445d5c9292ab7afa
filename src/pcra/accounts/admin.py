from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from pcra.accounts.models import Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1


@admin.register(User)
class PcraUserAdmin(UserAdmin):
    inlines = [MembershipInline]
