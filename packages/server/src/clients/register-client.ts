import type { ClientRecord } from './client-record.ts';
import { generateClientId, generateClientSecret, hashClientSecret } from './client-secret.ts';
import type { ClientsContext } from './clients-context.ts';
import type { RegistrationProblem } from './registration-problems.ts';
import type { RegistrationTokenRecord } from './stored-client.ts';
import { type ValidClientMetadata, validateClientMetadata } from './validate-client-metadata.ts';

export type RegisterClientResult =
  | {
      readonly ok: true;
      readonly client: ClientRecord;
      /** Shown once, to whoever registered the client: only its hash is stored. */
      readonly clientSecret: string | undefined;
    }
  | { readonly ok: false; readonly problem: RegistrationProblem | 'registration_token_used' };

export type RegistrationChannel =
  | { readonly via: 'admin' }
  /** RFC 7591: the client's metadata must fit what the initial access token allows. */
  | { readonly via: 'dynamic'; readonly token: RegistrationTokenRecord };

function withinToken(metadata: ValidClientMetadata, token: RegistrationTokenRecord): boolean {
  return (
    metadata.grantTypes.every((grant) => token.grantTypes.includes(grant)) &&
    metadata.scopes.every((scope) => token.scopes.includes(scope)) &&
    metadata.audiences.every((audience) => token.audiences.includes(audience))
  );
}

/**
 * Registers a client: one validation for every channel (admin API, CLI, RFC 7591), a generated
 * id, and for secret-based methods a generated 256-bit secret returned once and stored as a hash.
 * A dynamic registration spends its initial access token in the same transaction that creates
 * the client, so a token registers at most one client, even under a race.
 */
export async function registerClient(
  context: ClientsContext,
  body: unknown,
  channel: RegistrationChannel,
): Promise<RegisterClientResult> {
  const validated = await validateClientMetadata(body, {
    unknownMembers: channel.via === 'admin' ? 'refuse' : 'ignore',
    defaultAudience:
      channel.via === 'admin' ? context.config.audience : (channel.token.audiences[0] ?? ''),
    defaultName: channel.via === 'admin' ? undefined : channel.token.name,
    allowInternalBackchannel: channel.via === 'admin',
  });
  if (!validated.ok) return validated;
  const { metadata } = validated;
  if (channel.via === 'dynamic' && !withinToken(metadata, channel.token))
    return { ok: false, problem: 'outside_registration_token' };

  const { jwks, ...fields } = metadata;
  const usesSecret =
    metadata.authMethod === 'client_secret_basic' || metadata.authMethod === 'client_secret_post';
  const clientSecret = usesSecret ? generateClientSecret() : undefined;
  const nowMs = context.clock.nowMs();
  const client: ClientRecord = {
    ...fields,
    clientId: generateClientId(),
    createdAt: nowMs,
    disabledAt: null,
  };
  const created = await context.db.transaction(async (tx) => {
    if (channel.via === 'dynamic') {
      const spent = await tx.registrationTokens.consume(
        channel.token.tokenHash,
        client.clientId,
        nowMs,
      );
      if (spent === undefined) return false;
    }
    await tx.clients.create({
      record: client,
      secretHash: clientSecret === undefined ? null : hashClientSecret(clientSecret),
      previousSecretHash: null,
      previousSecretExpiresAt: null,
      jwks,
      registeredBy: channel.via,
      updatedAt: nowMs,
    });
    return true;
  });
  if (!created) return { ok: false, problem: 'registration_token_used' };
  return { ok: true, client, clientSecret };
}
