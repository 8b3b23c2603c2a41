"""A bare Django form-insert view: validate a small form, insert a row, redirect."""

from django import forms
from django.shortcuts import redirect, render

from .models import BareReport


class BareForm(forms.ModelForm):
    class Meta:
        model = BareReport
        fields = ["name", "phone", "address", "text"]


def bare_report(request):
    form = BareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect("/bench/bare/")
    return render(request, "bench/bare.html", {"form": form})
