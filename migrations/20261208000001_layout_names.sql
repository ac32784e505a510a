-- Issue 15: admins write bank layouts on /settings/layouts. An upload names its layout by name,
-- whatever the case (`named_format`), so a name is unique across banks and spellings; who changed
-- a layout last is kept beside when.
CREATE UNIQUE INDEX bank_column_mappings_name_key ON bank_column_mappings (lower(btrim(layout_name)));
ALTER TABLE bank_column_mappings ADD COLUMN updated_by UUID REFERENCES users (id);
