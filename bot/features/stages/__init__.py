"""Use-cases for `/gtm stage`, `/gtm sao`, `/gtm name` and `/gtm type`."""
