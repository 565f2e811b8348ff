/**
 * Replaces every occurrence of each secret (and its URL-encoded form) with `***`.
 *
 * @public
 */
export function redactSecrets(
  text: string,
  secrets: Array<string | undefined>,
): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) {
      out = out.split(form).join('***');
    }
  }
  return out;
}

/** Query parameters whose values are credentials, whatever else a URL holds. */
const SECRET_PARAM =
  /token|secret|passw|key|sig|auth|credential|session|code|jwt/i;

/**
 * The credentials a URL itself carries (its password, credential-like query values), so that a
 * cause quoting the URL can be masked too.
 *
 * @public
 */
export function credentialsIn(url: string): string[] {
  try {
    const parsed = new URL(url);
    return [
      decodeURIComponent(parsed.password),
      ...[...parsed.searchParams]
        .filter(([name]) => SECRET_PARAM.test(name))
        .map(([, value]) => value),
    ].filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * A URL as an error may show it: no user or password, `***` for the value of every query parameter
 * that looks like a credential, and every known secret masked.
 *
 * @public
 */
export function urlForErrors(
  url: string,
  secrets: Array<string | undefined> = [],
): string {
  let shown: string;
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.hash = '';
    for (const name of new Set(parsed.searchParams.keys())) {
      if (SECRET_PARAM.test(name)) parsed.searchParams.set(name, '***');
    }
    shown = parsed.toString();
  } catch {
    shown = url.replace(/\/\/[^/@]*@/, '//');
  }
  return redactSecrets(shown, secrets);
}

interface Failure {
  name?: string;
  message?: string;
  code?: string;
  cause?: unknown;
  errors?: Failure[];
}

/**
 * What failed underneath a request, as the network layer says it: fetch only says "fetch failed"
 * and keeps `connect ECONNREFUSED 127.0.0.1:1` in its cause; a connection to a name with several
 * addresses fails with one error per address.
 *
 * @public
 */
export function causeOf(error: unknown): string {
  const chain: Failure[] = [];
  for (
    let failure = error as Failure | undefined;
    failure && typeof failure === 'object' && !chain.includes(failure);
    failure = failure.cause as Failure | undefined
  ) {
    chain.push(failure);
  }
  // The deepest that says anything: the network's words are at the bottom.
  for (const failure of chain.reverse()) {
    const each = [
      ...new Set(
        (Array.isArray(failure.errors) ? failure.errors : [])
          .map(e => e?.message || e?.code)
          .filter((text): text is string => Boolean(text)),
      ),
    ];
    if (each.length > 0) return each.join('; ');
    if (failure.message || failure.code)
      return failure.message || failure.code!;
  }
  return error === undefined || error === null ? 'no answer' : String(error);
}
