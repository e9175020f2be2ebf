from django.contrib import messages
from django.contrib.auth import password_validation
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from dangjian.core.views import ScopeExemptMixin, form_errors_from

from . import actions
from .forms import LoginForm, PasswordChangeForm
from .middleware import password_expired


class LoginView(ScopeExemptMixin, View):
    scope_exempt = "log-in form; reads only the account being authenticated"
    template_name = "accounts/login.html"

    def get(self, request):
        if request.user.is_authenticated:
            return redirect("home")
        return render(request, self.template_name, {"form": LoginForm(), "timeout": request.GET.get("timeout")})

    def post(self, request):
        form = LoginForm(request.POST)
        if form.is_valid():
            user = actions.authenticate_password(form.cleaned_data["username"], form.cleaned_data["password"])
            if user is not None:
                actions.do_login(request, user)
                target = request.POST.get("next") or request.GET.get("next") or ""
                if password_expired(user):
                    return redirect("accounts:password_change")
                if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
                    return redirect(target)
                return redirect("home")
            form.add_error(None, actions.login_failed_message())
        return render(request, self.template_name, {"form": form}, status=200)


class LogoutView(ScopeExemptMixin, View):
    scope_exempt = "ends the caller's own session"
    http_method_names = ["post"]

    def post(self, request):
        actions.do_logout(request)
        return redirect("accounts:login")


class PasswordChangeView(ScopeExemptMixin, LoginRequiredMixin, View):
    scope_exempt = "changes the caller's own password"
    template_name = "accounts/password_change.html"

    def context(self, form):
        return {"form": form, "help_texts": password_validation.password_validators_help_texts(),
                "expired": password_expired(self.request.user)}

    def get(self, request):
        return render(request, self.template_name, self.context(PasswordChangeForm()))

    def post(self, request):
        form = PasswordChangeForm(request.POST)
        if form.is_valid():
            try:
                actions.do_change_password(request.user, old_password=form.cleaned_data["old_password"],
                                           new_password=form.cleaned_data["new_password"])
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                actions.do_login(request, request.user)  # keep the session, with a fresh key
                messages.success(request, "密码已修改")
                return redirect("home")
        return render(request, self.template_name, self.context(form))
