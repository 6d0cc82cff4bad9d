"""What every party's web app shares: the page shell and its stylesheet, sign-in and sessions,
CSRF and Origin checks, security headers, error pages, QR codes."""

from controllers.web.errors import error_pages
from controllers.web.headers import security_headers
from controllers.web.origin import same_origin_only
from controllers.web.passwords import (PasswordPolicyError, check_new_password, hash_password, hash_password_async,
                                       verify_password, verify_password_async)
from controllers.web.ratelimit import SignInLimiter
from controllers.web.sessions import Session, SessionStore
from controllers.web.signin import SignIn, SignUpRefused, csrf_token, subject

__all__ = ["same_origin_only", "security_headers", "error_pages", "SignIn", "SignUpRefused", "csrf_token",
           "subject", "Session", "SessionStore", "SignInLimiter", "hash_password", "verify_password",
           "hash_password_async", "verify_password_async", "check_new_password", "PasswordPolicyError"]
