"""Billing: invoices and their AFIP rules, invoice PDFs and links, payments, the price book, the owner's reports."""
