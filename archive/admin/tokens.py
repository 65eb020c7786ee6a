"""API tokens: each editor makes and revokes their own. A token's key is shown once, when it
is made; only its hash is kept."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "hint", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    fields = ["name"]
    actions = ["revoke"]

    def get_queryset(self, request):
        tokens = super().get_queryset(request).select_related("user")
        return tokens if request.user.is_superuser else tokens.filter(user=request.user)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.user = request.user
            key = obj.issue()
            super().save_model(request, obj, form, change)
            self.message_user(
                request,
                _("The key of “%(name)s”, shown this once: %(key)s")
                % {"name": obj.name, "key": key},
                messages.SUCCESS,
            )
            return
        super().save_model(request, obj, form, change)

    @admin.action(description=gettext_lazy("Revoke"))
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at=None).update(revoked_at=timezone.now())
        self.message_user(
            request, ngettext("%d token revoked.", "%d tokens revoked.", count) % count
        )
