"""Secrets and credentials: the keyring and secret box (`secret_box`), signed tokens
(`tokens`), password hashing (`passwords`), the API's `Credentials` (`credentials`), files
only their owner may read (`private_files`), and a worker's keystore lookups through the
API (`api_keystore`)."""
