from django import forms

from .imports import MAX_BYTES


class MeasurementImportForm(forms.Form):
    file = forms.FileField(
        label="CSV or Excel (.xlsx) file",
        help_text="Columns: school_id, indicator, period_start, period_end, value (and optionally "
        "student_group). One row per school, indicator and period.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx", ".txt")):
            raise forms.ValidationError("Upload a .csv or an .xlsx file.")
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it.")
        return upload
