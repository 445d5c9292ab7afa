"""Forms of the workbook pages: they check the shape of the upload; the import checks the
rest."""

from __future__ import annotations

from pathlib import PurePosixPath

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from pcra.workbook.services import UPLOAD_SUFFIXES


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Workbook"),
        help_text=_("An Excel .xlsx workbook, or a .zip of CSV files (one per sheet)."))
    ght = forms.ChoiceField(label=_("GHT"), required=False,
                            help_text=_("Used when the workbook has no Etablissements sheet."))

    def __init__(self, *args, tops=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ght"].choices = [("", _("As the workbook says"))] + [
            (t.code, str(t)) for t in tops]
        if len(tops) <= 1:
            self.fields["ght"].widget = forms.HiddenInput()

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        suffix = PurePosixPath(uploaded.name or "").suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            raise forms.ValidationError(
                _("Choose an .xlsx workbook or a .zip of CSV files (not %(suffix)s).")
                % {"suffix": suffix or _("a file without extension")})
        limit = settings.FILE_UPLOAD_MAX_MEMORY_SIZE
        if uploaded.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.") % {"mb": max(1, limit // (1024 * 1024))})
        return uploaded
