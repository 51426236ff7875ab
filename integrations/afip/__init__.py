"""AFIP web services: WSAA (login tickets), WSFEv1 (electronic invoices) and Padrón A5."""
