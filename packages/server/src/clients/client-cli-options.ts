/**
 * `writ client add <name> [options]` turned into the registration body the admin API takes, so
 * the CLI goes through exactly the same validation. Pure: reading the --jwks file is the caller's.
 */
export type ClientCliParse =
  | {
      readonly ok: true;
      readonly body: Record<string, unknown>;
      readonly jwksFile: string | undefined;
    }
  | { readonly ok: false; readonly message: string };

const repeatable: Record<string, string> = {
  '--redirect-uri': 'redirect_uris',
  '--grant': 'grant_types',
  '--audience': 'audiences',
  '--post-logout-redirect-uri': 'post_logout_redirect_uris',
};
const single: Record<string, string> = {
  '--auth-method': 'token_endpoint_auth_method',
  '--scope': 'scope',
  '--access-token-format': 'access_token_format',
  '--backchannel-logout-uri': 'backchannel_logout_uri',
};

export const clientAddUsage = `usage: writ client add <name> [options]
  --auth-method <method>           client_secret_basic (default), client_secret_post, private_key_jwt, none
  --redirect-uri <uri>             repeatable; required with the authorization_code grant
  --grant <type>                   repeatable: authorization_code (default), refresh_token, client_credentials
  --scope "<scope …>"              the scopes the client may ask for, space-separated
  --audience <uri>                 repeatable; the resources its tokens may name (default: WRIT_AUDIENCE)
  --jwks <file>                    the public JWKS of a private_key_jwt client
  --access-token-format <format>   jwt (default) or opaque (phantom tokens)
  --dpop                           require DPoP-bound tokens
  --backchannel-logout-uri <uri>
  --post-logout-redirect-uri <uri> repeatable
Prints the registration as JSON on stdout; a client secret appears there once, never again.`;

export function parseClientAddArgs(args: readonly string[]): ClientCliParse {
  const [name, ...rest] = args;
  if (name === undefined || name.startsWith('--')) return { ok: false, message: clientAddUsage };
  const body: Record<string, unknown> = { client_name: name };
  let jwksFile: string | undefined;
  for (let index = 0; index < rest.length; index++) {
    const flag = rest[index] as string;
    if (flag === '--dpop') {
      body.dpop_bound_access_tokens = true;
      continue;
    }
    const value = rest[index + 1];
    const member = repeatable[flag] ?? single[flag];
    if ((member === undefined && flag !== '--jwks') || value === undefined) {
      return { ok: false, message: clientAddUsage };
    }
    index++;
    if (flag === '--jwks') jwksFile = value;
    else if (member !== undefined && flag in repeatable) {
      body[member] = [...((body[member] as string[] | undefined) ?? []), value];
    } else if (member !== undefined) {
      if (member in body) return { ok: false, message: `${flag} may be given once` };
      body[member] = value;
    }
  }
  return { ok: true, body, jwksFile };
}
