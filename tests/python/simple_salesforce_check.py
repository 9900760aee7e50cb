"""A widely used third-party Salesforce client (simple-salesforce, from PyPI) against
the sandbox org: OAuth login, paged query, create/read/update/delete, and Salesforce's
error codes from its failures.

simple-salesforce always builds https:// URLs on *.salesforce.com, so the one piece of
glue is a requests adapter that sends them to the sandbox's plain-HTTP loopback address,
as a TLS-terminating proxy would. Nothing in the sandbox knows about this client.

Usage: python simple_salesforce_check.py http://127.0.0.1:PORT
"""

import sys
import urllib.parse

import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceMalformedRequest,
    SalesforceResourceNotFound,
)


class ToSandbox(HTTPAdapter):
    """Sends every https:// request to the sandbox over plain HTTP."""

    def __init__(self, sandbox):
        super().__init__()
        self.sandbox = urllib.parse.urlsplit(sandbox)

    def send(self, request, **kwargs):
        url = urllib.parse.urlsplit(request.url)
        request.url = urllib.parse.urlunsplit(
            (self.sandbox.scheme, self.sandbox.netloc, url.path, url.query, url.fragment)
        )
        return super().send(request, **kwargs)


def expect_error(call, exception, code):
    try:
        call()
    except exception as e:
        codes = [entry.get("errorCode") for entry in e.content]
        assert code in codes, f"expected {code}, got {e.content}"
        return
    raise AssertionError(f"expected {exception.__name__} with {code}")


def main(sandbox):
    session = requests.Session()
    session.mount("https://", ToSandbox(sandbox))

    # OAuth username-password flow through the token endpoint.
    sf = Salesforce(
        username="dev@sandbox.local",
        password="sandbox",
        consumer_key="sandbox",
        consumer_secret="sandbox",
        session=session,
        version="62.0",
    )
    assert sf.session_id and "!" in sf.session_id, "an org-prefixed session id"

    # Create, read, update, delete.
    created = sf.Contact.create({"FirstName": "Grace", "LastName": "Hopper", "Phone": "+14155550123"})
    assert created["success"] is True and len(created["id"]) == 18, created
    cid = created["id"]
    got = sf.Contact.get(cid)
    assert got["LastName"] == "Hopper" and got["attributes"]["type"] == "Contact", got
    assert sf.Contact.update(cid, {"Title": "Rear Admiral"}) == 204
    assert sf.Contact.get(cid)["Title"] == "Rear Admiral"

    # A query paged by Salesforce's batch size, followed to the end by query_all.
    for i in range(250):
        sf.Lead.create({"LastName": f"Paged{i:03}", "Company": "simple-salesforce"})
    sf.headers["Sforce-Query-Options"] = "batchSize=200"
    first = sf.query("SELECT Id, LastName FROM Lead WHERE Company = 'simple-salesforce'")
    assert first["totalSize"] == 250 and first["done"] is False and len(first["records"]) == 200, first
    assert first["nextRecordsUrl"].startswith("/services/data/v62.0/query/")
    everything = sf.query_all("SELECT Id, LastName FROM Lead WHERE Company = 'simple-salesforce' ORDER BY LastName")
    names = [r["LastName"] for r in everything["records"]]
    assert names == [f"Paged{i:03}" for i in range(250)], names[:5]
    del sf.headers["Sforce-Query-Options"]

    # Salesforce's error codes, read by the library from the failures.
    expect_error(lambda: sf.Contact.create({"FirstName": "NoLastName"}), SalesforceMalformedRequest, "REQUIRED_FIELD_MISSING")
    expect_error(lambda: sf.query("SELEC Id FROM Contact"), SalesforceMalformedRequest, "MALFORMED_QUERY")
    expect_error(lambda: sf.query("SELECT Nope FROM Contact"), SalesforceMalformedRequest, "INVALID_FIELD")
    assert sf.Contact.delete(cid) == 204
    expect_error(lambda: sf.Contact.get(cid), SalesforceResourceNotFound, "ENTITY_IS_DELETED")
    expect_error(lambda: sf.Contact.update(cid, {"Title": "x"}), SalesforceResourceNotFound, "ENTITY_IS_DELETED")

    # A revoked session: the library recognises 401 INVALID_SESSION_ID, logs in again
    # through the token endpoint, and retries.
    old_session = sf.session_id
    revoked = session.post("https://login.salesforce.com/services/oauth2/revoke", data={"token": old_session})
    assert revoked.status_code == 200, revoked.text
    stale = session.get(
        f"https://{sf.sf_instance}/services/data/v62.0/limits",
        headers={"Authorization": f"Bearer {old_session}"},
    )
    assert stale.status_code == 401 and stale.json()[0]["errorCode"] == "INVALID_SESSION_ID", stale.text
    again = sf.query("SELECT Id FROM Contact LIMIT 1")
    assert again["totalSize"] == 1, again
    assert sf.session_id != old_session, "a new session after re-login"
    print("simple-salesforce: login, paging, CRUD, error codes and revocation all behaved")


if __name__ == "__main__":
    main(sys.argv[1])
