import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CreateOrganisationBody, Member, Organisation, OrgRole, UpdateOrganisationBody } from '@mpop/contracts';
import { isUniqueViolation } from '../../db/connect.js';
import type { Database } from '../../db/schema.js';
import { AppError, notFound } from '../../lib/app-error.js';
import { cleanName, nameKey } from '../../lib/names.js';
import { nowIso } from '../../lib/time.js';
import { AuditRepository } from '../audit/audit.repository.js';
import type { Principal } from '../auth/auth.service.js';
import { UserRepository } from '../auth/user.repository.js';
import { MembershipRepository } from '../auth/membership.repository.js';
import { visibleOrgIds } from './org-access.js';
import { OrganisationRepository } from './organisation.repository.js';

type OrgRow = NonNullable<Awaited<ReturnType<OrganisationRepository['find']>>>;
const toOrganisation = (o: OrgRow): Organisation => ({
  orgId: o.orgId,
  name: o.name,
  reviewRequired: Number(o.reviewRequired) === 1,
  suspended: o.suspendedAt !== null,
  members: Number(o.members ?? 0),
  createdAt: o.createdAt,
});

export const orgTarget = (orgId: string) => `organisation:${orgId}`;
const orgNotFound = (orgId: string) => notFound(`The organisation "${orgId}"`);

/** A readable ID from the name (`Acme Games` → `acme-games`), with a random tail when it is taken or empty. */
function orgIdFrom(name: string, attempt: number): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  if (slug && attempt === 0) return slug;
  const tail = randomBytes(3).toString('hex');
  return slug ? `${slug}-${tail}` : `org-${tail}`;
}

/** Organisations and their members. Platform admins manage them; owners manage their own organisation's members. */
export class OrganisationService {
  constructor(private readonly db: Kysely<Database>) {}

  /** Platform roles see every organisation; members their own. */
  async list(principal: Principal): Promise<Organisation[]> {
    return (await new OrganisationRepository(this.db).list(visibleOrgIds(principal))).map(toOrganisation);
  }

  /** The organisation a mini program belongs to, or undefined when there is no such mini program. */
  async orgOfMiniProgram(miniProgramId: string): Promise<string | undefined> {
    return (await new OrganisationRepository(this.db).forMiniProgram(miniProgramId))?.orgId;
  }

  /** One organisation (access is checked by the route). */
  async get(orgId: string): Promise<Organisation> {
    const org = await new OrganisationRepository(this.db).find(orgId);
    if (!org) throw orgNotFound(orgId);
    return toOrganisation(org);
  }

  /** Creates an organisation that needs review, with `owner` (an existing user) as its first owner. */
  async create(input: CreateOrganisationBody, principal: Principal): Promise<Organisation> {
    const name = cleanName(input.name, { field: 'name', label: 'The organisation name', max: 64 });
    const key = nameKey(name);
    const now = nowIso();
    try {
      const orgId = await this.db.transaction().execute(async (trx) => {
        const orgs = new OrganisationRepository(trx);
        // The built-in one first: its ID and name are never given to another.
        await orgs.ensurePlatform(now);
        const clash = await orgs.findByNameKey(key);
        if (clash) throw nameTaken(name, clash.name);
        let orgId = '';
        for (let attempt = 0; !orgId || (await orgs.find(orgId)); attempt++) orgId = orgIdFrom(name, attempt);
        const owner = input.owner === undefined ? undefined : await new UserRepository(trx).find(input.owner);
        if (input.owner !== undefined && !owner) throw notFound(`The user "${input.owner}"`);
        await orgs.insert({ orgId, name, nameKey: key, reviewRequired: true, at: now });
        if (owner) await new MembershipRepository(trx).set(orgId, owner.username, 'owner', now);
        await new AuditRepository(trx).record({
          actor: principal.actor,
          action: 'organisation.created',
          target: orgTarget(orgId),
          details: { name, ...(owner ? { owner: owner.username } : {}) },
        });
        return orgId;
      });
      return this.get(orgId);
    } catch (err) {
      throw isUniqueViolation(err) ? nameTaken(name, name) : err;
    }
  }

  async update(orgId: string, patch: UpdateOrganisationBody, principal: Principal): Promise<Organisation> {
    const name = patch.name === undefined ? undefined : cleanName(patch.name, { field: 'name', label: 'The organisation name', max: 64 });
    const now = nowIso();
    try {
      await this.db.transaction().execute(async (trx) => {
        const orgs = new OrganisationRepository(trx);
        const org = await orgs.find(orgId);
        if (!org) throw orgNotFound(orgId);
        const key = name === undefined ? undefined : nameKey(name);
        if (key !== undefined) {
          const clash = await orgs.findByNameKey(key);
          if (clash && clash.orgId !== orgId) throw nameTaken(name!, clash.name);
        }
        const suspendedAt = patch.suspended === undefined ? undefined : patch.suspended ? (org.suspendedAt ?? now) : null;
        await orgs.update(orgId, { name, nameKey: key, reviewRequired: patch.reviewRequired, suspendedAt }, now);
        await new AuditRepository(trx).record({
          actor: principal.actor,
          action: 'organisation.updated',
          target: orgTarget(orgId),
          details: {
            ...(name !== undefined ? { name } : {}),
            ...(patch.reviewRequired !== undefined ? { reviewRequired: patch.reviewRequired } : {}),
            ...(patch.suspended !== undefined ? { suspended: patch.suspended } : {}),
          },
        });
      });
    } catch (err) {
      throw isUniqueViolation(err) ? nameTaken(name ?? '', name ?? '') : err;
    }
    return this.get(orgId);
  }

  async members(orgId: string): Promise<Member[]> {
    await this.get(orgId);
    return new MembershipRepository(this.db).listForOrg(orgId);
  }

  /** Adds a user to the organisation or changes its role; the last owner cannot become a developer (409 LAST_OWNER). */
  async setMember(orgId: string, username: string, role: OrgRole, principal: Principal): Promise<Member> {
    const now = nowIso();
    return this.db.transaction().execute(async (trx) => {
      if (!(await new OrganisationRepository(trx).find(orgId))) throw orgNotFound(orgId);
      const user = await new UserRepository(trx).find(username);
      if (!user) throw notFound(`The user "${username}"`);
      const members = new MembershipRepository(trx);
      const current = await members.find(orgId, user.username);
      if (current?.role === 'owner' && role !== 'owner' && (await members.lockAndCountOwners(orgId)) <= 1)
        throw lastOwner(orgId, user.username);
      const previous = await members.set(orgId, user.username, role, now);
      await new AuditRepository(trx).record({
        actor: principal.actor,
        action: 'organisation.member.set',
        target: orgTarget(orgId),
        details: { username: user.username, role, ...(previous ? { previousRole: previous } : {}) },
      });
      return { username: user.username, role, addedAt: current?.createdAt ?? now };
    });
  }

  /** Removes a member; the last owner cannot be removed (409 LAST_OWNER). */
  async removeMember(orgId: string, username: string, principal: Principal): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (!(await new OrganisationRepository(trx).find(orgId))) throw orgNotFound(orgId);
      const user = await new UserRepository(trx).find(username);
      const members = new MembershipRepository(trx);
      const current = user && (await members.find(orgId, user.username));
      if (!user || !current) throw notFound(`A member "${username}" of the organisation "${orgId}"`);
      if (current.role === 'owner' && (await members.lockAndCountOwners(orgId)) <= 1) throw lastOwner(orgId, user.username);
      await members.delete(orgId, user.username);
      await new AuditRepository(trx).record({
        actor: principal.actor,
        action: 'organisation.member.removed',
        target: orgTarget(orgId),
        details: { username: user.username, role: current.role },
      });
    });
  }
}

const nameTaken = (name: string, existing: string) =>
  new AppError(
    'NAME_TAKEN',
    existing === name
      ? `An organisation named "${name}" already exists; choose another name.`
      : `An organisation named "${existing}" already exists, and names that differ only in case or look-alike characters count as the same; choose another name.`,
  );

const lastOwner = (orgId: string, username: string) =>
  new AppError(
    'LAST_OWNER',
    `"${username}" is the last owner of the organisation "${orgId}"; make another member an owner first, so someone can still manage its members.`,
  );
