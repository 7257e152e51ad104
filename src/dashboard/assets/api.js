// Talks to /dashboard/api with the admin key kept in this tab's sessionStorage.

const STORAGE_KEY = 'tollgate.adminKey';

/** The server refused the key (401: missing or unknown; 403: a key that is not the admin key). */
export class AuthError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'AuthError';
    this.status = status;
  }
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

export function storedKey() {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function storeKey(key) {
  sessionStorage.setItem(STORAGE_KEY, key);
}

export function forgetKey() {
  sessionStorage.removeItem(STORAGE_KEY);
}

/** GET a dashboard endpoint; arrays become repeated parameters, empty values are left out. */
export async function getJson(path, params = {}) {
  const url = new URL(`/dashboard/api/${path}`, window.location.origin);
  for (const [name, value] of Object.entries(params)) {
    const values = Array.isArray(value) ? value : [value];
    for (const item of values)
      if (item !== undefined && item !== null && item !== '') url.searchParams.append(name, String(item));
  }
  const headers = { accept: 'application/json' };
  const key = storedKey();
  if (key) headers.authorization = `Bearer ${key}`;
  const response = await fetch(url, { headers, cache: 'no-store' });
  let body;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const message = body?.error?.message ?? `${response.status} ${response.statusText}`;
  if (response.status === 401 || response.status === 403) throw new AuthError(response.status, message);
  if (!response.ok) throw new ApiError(response.status, message);
  return body;
}
