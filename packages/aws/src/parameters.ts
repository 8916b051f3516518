import { inspect } from 'node:util';
import { GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { IncompleteAnswerError, ParameterNotFoundError } from './errors.js';

/**
 * A secret value that does not print itself: String(), JSON and
 * console.log/inspect all show `[secret]`. Call `reveal()` where the value is
 * really needed (e.g. the HTTP request to Slack).
 */
export class SecretValue {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[secret]';
  }

  toJSON(): string {
    return '[secret]';
  }

  [inspect.custom](): string {
    return '[secret]';
  }
}

export interface ParametersOptions {
  readonly ssm: SSMClient;
}

/**
 * SSM parameters: the K3s join token and the Slack webhook URL are
 * SecureStrings, read with decryption and handed out as SecretValue.
 * Values never appear in errors or logs; names do.
 *
 * @example
 * const url = await parameters.getSecure('/smartscale-prod/slack/webhook-url');
 * await fetch(url.reveal(), { method: 'POST', body });
 */
export class Parameters {
  readonly #options: ParametersOptions;

  constructor(options: ParametersOptions) {
    this.#options = options;
  }

  /** Reads a SecureString (decrypted). Throws naming the parameter when it is missing. */
  async getSecure(name: string): Promise<SecretValue> {
    const value = await this.findSecure(name);
    if (value === undefined) {
      throw new ParameterNotFoundError(name);
    }
    return value;
  }

  /** Reads a SecureString (decrypted), or undefined when it does not exist (optional settings). */
  async findSecure(name: string): Promise<SecretValue | undefined> {
    try {
      const res = await this.#options.ssm.send(
        new GetParameterCommand({ Name: name, WithDecryption: true }),
      );
      const value = res.Parameter?.Value;
      if (value === undefined) throw new IncompleteAnswerError('SSM GetParameter', 'value', name);
      return new SecretValue(value);
    } catch (error) {
      if ((error as { name?: string }).name === 'ParameterNotFound') return undefined;
      throw error;
    }
  }

  /** Writes a SecureString, replacing an existing value. */
  async putSecure(name: string, value: string | SecretValue, description?: string): Promise<void> {
    await this.#options.ssm.send(
      new PutParameterCommand({
        Name: name,
        Value: typeof value === 'string' ? value : value.reveal(),
        Type: 'SecureString',
        Overwrite: true,
        ...(description ? { Description: description } : {}),
      }),
    );
  }

  /** Writes a plain String (e.g. a CA certificate: public, and read without KMS), replacing an existing value. */
  async putString(name: string, value: string, description?: string): Promise<void> {
    await this.#options.ssm.send(
      new PutParameterCommand({
        Name: name,
        Value: value,
        Type: 'String',
        Overwrite: true,
        ...(description ? { Description: description } : {}),
      }),
    );
  }

  /** The stored type of a parameter (e.g. to assert it is a SecureString). */
  async typeOf(name: string): Promise<string | undefined> {
    const res = await this.#options.ssm.send(
      new GetParameterCommand({ Name: name, WithDecryption: false }),
    );
    return res.Parameter?.Type;
  }
}
