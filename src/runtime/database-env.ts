/** Environment variables ProxiedDatabase.grantConnect sets; the pool reads them. No imports. */
export const DB_ENV = {
  DB_PROXY_ENDPOINT: 'DB_PROXY_ENDPOINT',
  DB_PORT: 'DB_PORT',
  DB_NAME: 'DB_NAME',
  DB_USER: 'DB_USER',
  /** Password mode (local development): when set, no IAM token is used. */
  DB_PASSWORD: 'DB_PASSWORD',
  /** Path of a PEM bundle of the RDS certificate authorities (e.g. global-bundle.pem shipped with the function). */
  DB_CA_BUNDLE_PATH: 'DB_CA_BUNDLE_PATH',
  /** 'false' turns TLS off (local development against a server without TLS); IAM mode always uses TLS. */
  DB_SSL: 'DB_SSL',
} as const;
