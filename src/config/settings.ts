import { ConfigError } from './errors.js';

export const QUALITIES = ['low', 'medium', 'high'] as const;
export type Quality = (typeof QUALITIES)[number];
export const ENGINES = ['cloud', 'local'] as const;
export type Engine = (typeof ENGINES)[number];

/** The settings `nemo config get|set|list` knows, per profile. */
export interface ProfileSettings {
  'api-url'?: string;
  language?: string;
  quality?: Quality;
  engine?: Engine;
}
export type SettingKey = keyof ProfileSettings;

export const SETTING_KEYS: readonly SettingKey[] = ['api-url', 'language', 'quality', 'engine'];

export const SETTING_HELP: Record<SettingKey, string> = {
  'api-url': 'API base URL (http or https); NEMO_API_URL and --api-url win',
  language: 'language for new sessions, e.g. en or zh',
  quality: `default export quality: ${QUALITIES.join(' | ')}`,
  engine: `default engine for nemo edit: ${ENGINES.join(' | ')}`,
};

export function isSettingKey(key: string): key is SettingKey {
  return (SETTING_KEYS as readonly string[]).includes(key);
}

/** Checks an http(s) URL; returns it without a trailing slash. */
export function checkApiUrl(value: string, source: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(
      `${source} is not a valid URL: ${JSON.stringify(value)}`,
      'use a full http(s) URL, e.g. https://mega-api-prod.nemovideo.ai',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(
      `${source} must be http or https, not ${url.protocol}`,
      'use a full http(s) URL, e.g. http://127.0.0.1:8787',
    );
  }
  return value.replace(/\/+$/, '');
}

export function checkQuality(value: string, source = '--quality'): Quality {
  if ((QUALITIES as readonly string[]).includes(value)) return value as Quality;
  throw new ConfigError(
    `${source} must be one of ${QUALITIES.join(', ')}, not ${JSON.stringify(value)}`,
    `e.g. ${source === '--quality' ? '--quality high' : 'nemo config set quality high'}`,
  );
}

export function checkEngine(value: string): Engine {
  if ((ENGINES as readonly string[]).includes(value)) return value as Engine;
  throw new ConfigError(
    `engine must be one of ${ENGINES.join(', ')}, not ${JSON.stringify(value)}`,
    'e.g. nemo config set engine local',
  );
}

/** Validates one `nemo config set` value and returns the normalised value. */
export function checkSetting(key: string, value: string): ProfileSettings[SettingKey] {
  if (!isSettingKey(key)) {
    throw new ConfigError(`unknown setting ${JSON.stringify(key)}`, `settings: ${SETTING_KEYS.join(', ')}`);
  }
  switch (key) {
    case 'api-url':
      return checkApiUrl(value, 'api-url');
    case 'quality':
      return checkQuality(value, 'quality');
    case 'engine':
      return checkEngine(value);
    case 'language':
      if (!/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/.test(value)) {
        throw new ConfigError(
          `language must be a language code, not ${JSON.stringify(value)}`,
          'e.g. nemo config set language zh',
        );
      }
      return value;
  }
}
