from allauth.account import forms as allauth_forms


class LoginForm(allauth_forms.LoginForm):
    """allauth's log-in form in our words: the e-mail address is the user name."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "E-mail"
        self.fields["login"].widget.attrs.update({"autocomplete": "email", "autofocus": True})
        self.fields["login"].widget.attrs.pop("placeholder", None)
        self.fields["password"].help_text = ""  # the page links "Forgot your password?"
        self.fields["password"].widget.attrs.pop("placeholder", None)


class SignUpForm(allauth_forms.SignupForm):
    """allauth's sign-up form: an e-mail address and one password (Django's validators)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "E-mail"
        self.fields["email"].widget.attrs.update({"autocomplete": "email", "autofocus": True})
        self.fields["email"].widget.attrs.pop("placeholder", None)
        self.fields["password1"].help_text = "At least 8 characters; not a common password."
        self.fields["password1"].widget.attrs.pop("placeholder", None)
