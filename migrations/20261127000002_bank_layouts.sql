-- The per-bank statement layouts shipped with ingestion (spec 2.1), beside AXIS SFTP
-- (`src/features/recon/ingest.rs` `shipped_mappings` lists the same rows; a test keeps them equal).
INSERT INTO bank_column_mappings (id, bank_code, layout_name, file_type, delimiter, header_row, date_format,
    reference_column, gross_amount_column, net_amount_column, txn_date_column, value_date_column,
    utr_column, rrn_column, direction_column, remarks_column)
VALUES
 ('0b5e1c2a-0000-4000-8000-00000000a716', 'AXIS', 'AXIS MIS (tilde .txt)', 'txt', '~', 1, '%d-%m-%Y',
  'Tran Id', 'Amount', NULL, 'Tran Date', 'Value Date', 'UTR No', NULL, 'Cr/Dr', 'Particulars'),
 ('0b5e1c2a-0000-4000-8000-0000000000d1', 'HDFC', 'HDFC account statement', 'csv', ',', 1, '%d/%m/%Y',
  'Chq/Ref Number', 'Deposit Amount', NULL, 'Date', 'Value Dt', 'UTR', NULL, NULL, 'Narration'),
 ('0b5e1c2a-0000-4000-8000-0000000000c1', 'ICICI', 'ICICI CMS statement', 'csv', ',', 1, '%d-%m-%Y',
  'Tran. Id', 'Amount (INR)', NULL, 'Txn Posted Date', 'Value Date', 'UTR Number', NULL, 'Cr/Dr', 'Description'),
 ('0b5e1c2a-0000-4000-8000-0000000000b1', 'SBI', 'SBI e-statement', 'csv', ',', 1, '%d %b %Y',
  'Ref No./Cheque No.', 'Credit', NULL, 'Txn Date', 'Value Date', 'UTR', NULL, NULL, 'Description'),
 ('0b5e1c2a-0000-4000-8000-0000000000b0', 'BOB', 'BOB settlement report', 'csv', ',', 1, '%d/%m/%Y',
  'Transaction Ref', 'Gross Amount', 'Net Amount', 'Transaction Date', 'Settlement Date', 'UTR', 'RRN', NULL, 'Remarks');
