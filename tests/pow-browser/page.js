// Loads the package exactly like the registration page will: import('/pkg/pow/index.js').
import('/pkg/pow/index.js').then(
  (pow) => { window.pow = pow; window.powReady = true; },
  (e) => { window.powError = String(e); },
);
