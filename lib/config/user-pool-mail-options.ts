/** The options for the mail the stack's user pool sends through SES (userPoolSes*), and how they agree. */
import { refuseGiven, StackConfigError, stringOption } from './option-readers';
import type { StackConfig, StackOption } from './stack-config';

/** SES configuration set names: letters, digits, `_` and `-`, at most 64 characters. */
export const SES_CONFIGURATION_SET = /^[A-Za-z0-9_-]{1,64}$/;

export function parseFromName(raw: unknown): string {
  const name = stringOption('userPoolSesFromName', raw);
  // One header line: a line break would let the name add headers of its own.
  if (name === '' || name.length > 64 || /[\r\n<>]/.test(name)) throw new StackConfigError('userPoolSesFromName', `${JSON.stringify(name)} must be 1-64 characters on one line, without < or >`);
  return name;
}

/** The user pool's SES options agree: details only with a from-address, and that address at the verified domain. */
export function checkSesOptions(config: StackConfig, given: (option: StackOption) => boolean): void {
  if (config.userPoolSesFromEmail === undefined) {
    refuseGiven(SES_DETAIL_OPTIONS, given, 'applies only to mail sent through SES: set userPoolSesFromEmail too');
    return;
  }
  const domain = config.userPoolSesVerifiedDomain;
  if (domain !== undefined && config.userPoolSesFromEmail.split('@').pop()?.toLowerCase() !== domain) {
    throw new StackConfigError('userPoolSesVerifiedDomain', `'${domain}' is not the domain of userPoolSesFromEmail '${config.userPoolSesFromEmail}': SES sends only from addresses at a verified domain`);
  }
}

/** Options that shape how the user pool sends mail through SES, and mean nothing without its from-address. */
const SES_DETAIL_OPTIONS = ['userPoolSesFromName', 'userPoolSesVerifiedDomain', 'userPoolSesConfigurationSet', 'userPoolSesRegion'] as const satisfies readonly StackOption[];

/** How the stack's user pool sends mail through SES (the userPoolSes* options); undefined: Cognito's own sender. */
export interface SesMail {
  readonly fromEmail: string;
  readonly fromName: string | undefined;
  readonly verifiedDomain: string | undefined;
  readonly configurationSet: string | undefined;
  readonly region: string | undefined;
}

export function sesMail(config: StackConfig): SesMail | undefined {
  if (config.userPoolSesFromEmail === undefined) return undefined;
  return {
    fromEmail: config.userPoolSesFromEmail,
    fromName: config.userPoolSesFromName,
    verifiedDomain: config.userPoolSesVerifiedDomain,
    configurationSet: config.userPoolSesConfigurationSet,
    region: config.userPoolSesRegion,
  };
}
