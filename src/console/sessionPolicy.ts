/**
 * How long console credentials live. Short on purpose: a console session is a convenience on top
 * of an API key, and a portal link is handed to a browser of someone else's product.
 */
export const SESSION_TTL_MS = 60 * 60 * 1000;
export const PORTAL_LINK_DEFAULT_TTL_SECONDS = 15 * 60;
export const PORTAL_LINK_MAX_TTL_SECONDS = 24 * 60 * 60;

/** The cookie carrying the session token (HttpOnly, SameSite=Strict, Path=/). */
export const SESSION_COOKIE = 'switchboard_session';
/** The header a cookie-authenticated state change must carry: the session's CSRF token. */
export const CSRF_HEADER = 'x-csrf-token';
