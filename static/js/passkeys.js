// After django-otp-webauthn's script registered a passkey, show the page again with it listed.
document.addEventListener("otp_webauthn.register_complete", function () {
  window.location.reload();
});
