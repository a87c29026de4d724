import { badRequest, type ScimError } from '../../scim/errors.js';

export interface DomainPolicy {
  domains: string[];
  allowSubdomains: boolean;
}

/** The part after the last "@", lower-cased, without a trailing root dot. */
export function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase().replace(/\.$/, '');
}

/** True when `domain` is one of the policy's domains, or a subdomain of one when they are allowed. */
export function isAllowedDomain(domain: string, policy: DomainPolicy): boolean {
  if (policy.domains.length === 0) return true;
  return policy.domains.some((d) => {
    const allowed = d.toLowerCase();
    return domain === allowed || (policy.allowSubdomains && domain.endsWith(`.${allowed}`));
  });
}

/**
 * docs/behaviour.md "Rules" (domain rule): the sign-in email must be on one of the
 * organization's domains (subdomains only when it allows them). An
 * organization without domains accepts every address. Returns the error
 * (400 invalidValue naming the domain) or undefined when the email passes.
 */
export function emailDomainViolation(email: string | undefined, policy: DomainPolicy): ScimError | undefined {
  if (policy.domains.length === 0) return undefined;
  const list = policy.domains.join(', ') + (policy.allowSubdomains ? ' and their subdomains' : '');
  if (email === undefined) {
    return badRequest(
      'invalidValue',
      `a sign-in email is required: userName or a primary or work email on this organization's domains (${list})`,
    );
  }
  const domain = domainOf(email);
  if (isAllowedDomain(domain, policy)) return undefined;
  return badRequest('invalidValue', `email domain "${domain}" is not one of this organization's domains (${list})`);
}

export function checkEmailDomain(email: string | undefined, policy: DomainPolicy): void {
  const violation = emailDomainViolation(email, policy);
  if (violation) {
    violation.rule = 'domain';
    throw violation;
  }
}
