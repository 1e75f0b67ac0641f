"""The sources CSV: required and optional columns, defaults, clear errors naming line and column."""
import pytest

from extractors.sources import read_sources


def write(tmp_path, text):
    p = tmp_path / "sources.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_required_and_optional_columns(tmp_path):
    p = write(tmp_path, "\ufeffCase_No, Name ,landing_url,allowed_domains,seed_urls,notes\n"
                        "7,某公司,https://www.example.com/esg/index.html,,,\n"
                        "\n"
                        "8,Other,http://127.0.0.1:8765/companies/008/index.html,127.0.0.1; cdn.example.org ,"
                        "http://127.0.0.1:8765/x.pdf;http://127.0.0.1:8765/esg/,a note\n")
    a, b = read_sources(p)
    assert a == {"case_no": 7, "company_id": None, "name": "某公司", "landing_url": "https://www.example.com/esg/index.html",
                 "exchange": None, "stock_code": None, "allowed_domains": ["www.example.com"], "seed_urls": [],
                 "feeds": [], "notes": ""}
    assert b["case_no"] == 8
    assert b["allowed_domains"] == ["127.0.0.1", "cdn.example.org"]
    assert b["seed_urls"] == ["http://127.0.0.1:8765/x.pdf", "http://127.0.0.1:8765/esg/"]
    assert b["notes"] == "a note"


def test_only_required_columns(tmp_path):
    p = write(tmp_path, "case_no,name,landing_url\n1,A,http://a.example/\n")
    assert read_sources(p) == [{"case_no": 1, "company_id": None, "name": "A", "landing_url": "http://a.example/",
                                "exchange": None, "stock_code": None, "allowed_domains": ["a.example"],
                                "seed_urls": [], "feeds": [], "notes": ""}]


def test_a_company_beyond_the_seed_cases_is_named_by_the_users_company_id(tmp_path):
    p = write(tmp_path, "case_no,company_id,name,landing_url,exchange,stock_code\n"
                        ",acme-1,Acme,http://acme.example/esg/,SZSE,000001\n"
                        ",acme-1,Acme,http://ir.acme.example/,,\n"
                        "5,,Five,http://five.example/,,\n")
    acme, acme_ir, five = read_sources(p)
    assert (acme["case_no"], acme["company_id"], acme["exchange"], acme["stock_code"]) == (None, "acme-1", "SZSE", "000001")
    assert (acme_ir["company_id"], acme_ir["exchange"]) == ("acme-1", None)
    assert (five["case_no"], five["company_id"]) == (5, None)
    # a file without case_no at all is fine when company_id names every company
    only_ids = write(tmp_path, "company_id,name,landing_url\nx,X,http://x.example/\n")
    assert read_sources(only_ids)[0]["company_id"] == "x"


@pytest.mark.parametrize("text, message", [
    ("case_no,name\n1,A\n", "missing required column(s) landing_url"),
    ("", "empty file"),
    ("case_no,name,landing_url\nx1,A,http://a.example/\n", "line 2: column 'case_no' must be an integer"),
    ("case_no,name,landing_url\n1,,http://a.example/\n", "line 2: column 'name' is empty"),
    ("case_no,name,landing_url\n1,A,http://a.example/\n2,B,ftp://b.example/\n",
     "line 3: column 'landing_url' must start with http:// or https://"),
    ("case_no,name,landing_url\n1,A,www.example.com\n", "line 2: column 'landing_url' must start with http"),
    ("case_no,name,landing_url,allowed_domains\n1,A,http://a.example/,https://a.example/\n",
     "line 2: column 'allowed_domains' expects host names"),
    ("case_no,name,landing_url,seed_urls\n1,A,http://a.example/,/relative.pdf\n",
     "line 2: column 'seed_urls' must start with http"),
    ("case_no,name,landing_url\n1,A,http://a.example/\n1,B,http://b.example/\n1,A,http://a.example/\n",
     "line 4: columns 'case_no','company_id','landing_url' repeat line 2"),
    ("name,landing_url\nA,http://a.example/\n", "missing required column(s) case_no or company_id"),
    ("case_no,company_id,name,landing_url\n,,A,http://a.example/\n",
     "line 2: column 'case_no' is empty and so is 'company_id'"),
    ("case_no,company_id,name,landing_url\n,a b,A,http://a.example/\n", "line 2: column 'company_id' must be"),
    ("case_no,name,landing_url\n1,A,http://a.example/,extra\n", "line 2: 4 fields, header has 3"),
])
def test_bad_input_names_line_and_column(tmp_path, text, message):
    p = write(tmp_path, text)
    with pytest.raises(ValueError) as exc:
        read_sources(p)
    assert message in str(exc.value)
    assert str(p) in str(exc.value)
