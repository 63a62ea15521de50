"""What a phone may register as its address (vpbx.edge.contacts): never the carrier's trunk nor
the platform's own SIP ports (security: a Contact at the carrier was toll fraud)."""
from vpbx.edge import contacts

OWN = [("127.0.0.1", 5060), ("127.0.0.1", 5090)]


def refused(*values, carrier="198.51.100.2"):
    return contacts.refused_contact(contacts.contact_uris(values), carrier, OWN)


def test_ordinary_phone_contacts_are_accepted():
    assert refused("<sip:alice@127.0.0.1:40123;ob>") is None
    assert refused('"Alice" <sip:alice@192.0.2.10:5062;transport=udp>;expires=300') is None
    assert refused("<sip:alice@[2001:db8::5]:5070>, <sip:alice@10.0.0.7>") is None
    assert refused("*") is None


def test_the_carriers_address_is_refused_on_any_port():
    assert refused("<sip:+41900123456@198.51.100.2:5060>") == \
        "sip:+41900123456@198.51.100.2:5060: the carrier's address"
    assert refused("sip:+41900123456@198.51.100.2:7777") is not None
    assert refused("<sip:a@10.0.0.7>, <sip:x@198.51.100.2>") is not None       # the second
    assert refused("<sip:x@198.51.100.2>", carrier=None) is None               # no carrier


def test_the_platforms_own_sip_ports_are_refused():
    assert refused("<sip:vm-41215667955@127.0.0.1:5090>") == \
        "sip:vm-41215667955@127.0.0.1:5090: the platform's own address"
    assert refused("<sip:loop@127.0.0.1>") is not None                         # 5060 implied
    assert refused("<sip:alice@127.0.0.1:5091>") is None


def test_a_host_name_is_refused():
    assert refused("<sip:x@carrier.example.net:5060>") == \
        "sip:x@carrier.example.net:5060: a phone registers its IP address, not a name"


def test_host_and_port():
    assert contacts.host_and_port("sip:a@192.0.2.1:5062;ob") == ("192.0.2.1", 5062)
    assert contacts.host_and_port("sips:[2001:DB8::1]") == ("2001:db8::1", 5060)
    assert contacts.host_and_port("sip:192.0.2.1") == ("192.0.2.1", 5060)


# -- requests within a call go to its other party only ------------------------------------------
PARTIES = ["sip:alice@192.0.2.10:5062;ob", "sip:bob@192.0.2.20:40000", "",
           "<sip:198.51.100.7;lr>"]


def test_an_in_dialog_request_may_go_to_a_party_of_the_call():
    assert contacts.goes_to_a_party("sip:bob@192.0.2.20:40000", "BYE", PARTIES, True)
    assert contacts.goes_to_a_party("sip:alice@192.0.2.10:5062", "INVITE", PARTIES, True)
    assert contacts.goes_to_a_party("sip:198.51.100.7;lr", "BYE", PARTIES, True)   # route set


def test_an_in_dialog_request_may_not_go_anywhere_else():
    assert not contacts.goes_to_a_party("sip:victim@203.0.113.9:5060", "MESSAGE", PARTIES, True)
    assert not contacts.goes_to_a_party("sip:+41900123456@198.51.100.2", "INVITE", PARTIES, True)
    assert not contacts.goes_to_a_party("sip:bob@192.0.2.20:40001", "INFO", PARTIES, True)


def test_before_the_answer_only_prack_and_update_pass():
    assert contacts.goes_to_a_party("sip:x@203.0.113.9", "PRACK", PARTIES[:1], False)
    assert contacts.goes_to_a_party("sip:x@203.0.113.9", "UPDATE", PARTIES[:1], False)
    assert not contacts.goes_to_a_party("sip:x@203.0.113.9", "MESSAGE", PARTIES[:1], False)
