import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CreatedToken, CreateTokenBody, Token } from '@mpop/contracts';
import type { Database } from '../../db/schema.js';
import { AppError, notFound, validationFailed } from '../../lib/app-error.js';
import { newSecret, sha256Hex } from '../../lib/crypto.js';
import { cleanName } from '../../lib/names.js';
import { nowIso } from '../../lib/time.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { type Principal, TOKEN_PREFIX } from './auth.service.js';
import { fromStoredRole, platformRoleAtLeast, toStoredRole } from './roles.js';
import { TokenRepository } from './token.repository.js';

/** API tokens for automation: made by a signed-in user, shown once, stored hashed, optionally expiring. */
export class TokenService {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Creates a token with the caller's role or a lower one. Only a console session may: a token that could mint
   * tokens would let whoever stole it leave a backdoor that outlives its revocation. The token text is returned
   * here and never again.
   */
  async create(input: CreateTokenBody, principal: Principal): Promise<CreatedToken> {
    if (principal.via !== 'session') {
      throw new AppError('FORBIDDEN', 'An API token cannot create tokens. Sign in to the console (or POST /api/v1/session) to create one.');
    }
    const name = cleanName(input.name, { field: 'name', label: 'The token name', max: 64 });
    const role = input.role ?? principal.role;
    if (role !== null && !platformRoleAtLeast(principal.role, role)) {
      throw new AppError(
        'FORBIDDEN',
        principal.role === null
          ? `You have no platform role, so your tokens cannot have one (leave "role" out); they act in your organisations only.`
          : `A ${principal.role} cannot create a token with the ${role} role.`,
      );
    }
    const now = nowIso();
    const expiresAt = input.expiresAt === undefined ? null : new Date(input.expiresAt).toISOString();
    if (expiresAt !== null && expiresAt <= now) throw validationFailed('expiresAt', 'must be in the future');
    const token = newSecret(TOKEN_PREFIX);
    const id = randomUUID();
    await this.db.transaction().execute(async (trx) => {
      await new TokenRepository(trx).insert({
        id,
        name,
        role: toStoredRole(role),
        tokenHash: sha256Hex(token),
        createdBy: principal.username,
        createdAt: now,
        expiresAt,
      });
      await new AuditRepository(trx).record({
        actor: principal.actor,
        address: principal.address,
        action: 'token.created',
        target: `token:${id}`,
        details: { name, role, ...(expiresAt ? { expiresAt } : {}) },
      });
    });
    return { id, name, role, expiresAt, token };
  }

  /** Admins see every token; others their own. */
  async list(principal: Principal): Promise<Token[]> {
    const rows = await new TokenRepository(this.db).list(principal.role === 'admin' ? undefined : principal.username);
    return rows.map((t) => ({ ...t, role: fromStoredRole(t.role) }));
  }

  /**
   * Revokes a token the caller may see (admins: any; others: their own). Through an API token, only tokens whose
   * role is at most that token's role (403 otherwise); a console session may revoke any token it sees.
   */
  async revoke(id: string, principal: Principal): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const tokens = new TokenRepository(trx);
      const t = await tokens.find(id);
      // A token the caller may not see answers 404, not 403: its existence is not theirs to learn.
      if (!t || (principal.role !== 'admin' && t.createdBy !== principal.username)) throw notFound('Token');
      // A token never acts above its role: a viewer token of an admin must not be able to end the admin's admin
      // tokens (a leaked read-only token would otherwise break the automation that holds them).
      const targetRole = fromStoredRole(t.role);
      if (principal.via === 'token' && targetRole !== null && !platformRoleAtLeast(principal.role, targetRole)) {
        throw new AppError(
          'FORBIDDEN',
          `A ${principal.role ?? 'member-only'} token cannot revoke a token with the ${targetRole} role; revoke it with a token of that role or from the console.`,
        );
      }
      await tokens.delete(id);
      await new AuditRepository(trx).record({
        actor: principal.actor,
        address: principal.address,
        action: 'token.revoked',
        target: `token:${id}`,
        details: { name: t.name },
      });
    });
  }
}
