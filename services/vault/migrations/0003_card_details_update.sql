-- Merchants may change a saved card's holder details (docs/omise-compat.md §8.5): the runtime role may
-- update exactly those columns, never the number's metadata (brand, last digits, fingerprint) or the sealed PAN.
GRANT UPDATE (name, expiration_month, expiration_year, city, postal_code) ON vault_cards TO {{runtime_role}};
