"""Things the council does not do, and where a resident should go instead."""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "elsewhere:"
# Words about nothing the council or another public body does: the weather, jokes, sport.
OUT_OF_SCOPE = f"{PREFIX}out-of-scope"


@dataclass(frozen=True)
class Elsewhere:
    key: str
    who: str
    advice: str
    link: str
    spoken: str


PLACES: dict[str, Elsewhere] = {
    place.key: place
    for place in (
        Elsewhere(
            key="elsewhere:nhs",
            who="the NHS",
            advice="For health problems, call NHS 111 or use NHS 111 online. "
            "If someone's life is at risk, call 999.",
            link="https://111.nhs.uk/",
            spoken="That is one for the NHS. Call 111. If someone's life is at risk, call 999.",
        ),
        Elsewhere(
            key="elsewhere:dvla",
            who="the DVLA",
            advice="Driving licences, car tax and log books are dealt with by the DVLA.",
            link="https://www.gov.uk/browse/driving",
            spoken="Driving licences and car tax are dealt with by the DVLA, on GOV.UK.",
        ),
        Elsewhere(
            key="elsewhere:police",
            who="the police",
            advice="Report a crime to the police on 101, or online. "
            "If a crime is happening now or someone is in danger, call 999.",
            link="https://www.police.uk/",
            spoken="Please report that to the police on 101. In an emergency, call 999.",
        ),
        Elsewhere(
            key="elsewhere:power",
            who="your electricity network",
            advice="For a power cut or a fallen power line, call 105. Keep away from fallen lines.",
            link="https://www.powercut105.com/",
            spoken="For a power cut, call 105. Keep away from fallen power lines.",
        ),
        Elsewhere(
            key="elsewhere:gas",
            who="the gas emergency line",
            advice="If you smell gas, get out of the house now. Then call 0800 111 999.",
            link="https://www.nationalgas.com/safety/gas-emergency",
            spoken="If you smell gas, go outside and call 0800 111 999 now.",
        ),
        Elsewhere(
            key="elsewhere:water",
            who="your water company",
            advice="Your water company deals with burst pipes in the road, sewers and water "
            "bills. Their number is on your water bill.",
            link="https://www.water.org.uk/advice-for-customers/find-your-supplier",
            spoken="That is one for your water company. Their number is on your water bill.",
        ),
        Elsewhere(
            key="elsewhere:dwp",
            who="the Department for Work and Pensions",
            advice="The DWP pays Universal Credit, pensions and PIP, not the council. "
            "Find out more on GOV.UK.",
            link="https://www.gov.uk/browse/benefits",
            spoken="Universal Credit and pensions are dealt with by the Department for Work "
            "and Pensions, on GOV.UK.",
        ),
        Elsewhere(
            key="elsewhere:hmrc",
            who="HMRC",
            advice="HMRC deals with income tax and your tax code. Find out more on GOV.UK.",
            link="https://www.gov.uk/government/organisations/hm-revenue-customs/contact",
            spoken="Income tax is dealt with by HMRC, on GOV.UK.",
        ),
        Elsewhere(
            key="elsewhere:passport",
            who="HM Passport Office",
            advice="Passports are dealt with by HM Passport Office.",
            link="https://www.gov.uk/browse/abroad/passports",
            spoken="Passports are dealt with by HM Passport Office, on GOV.UK.",
        ),
        Elsewhere(
            key="elsewhere:national-highways",
            who="National Highways",
            advice="National Highways look after motorways and some main A roads. "
            "Call them on 0300 123 5000.",
            link="https://nationalhighways.co.uk/contact-us/",
            spoken="Motorways are looked after by National Highways, on 0300 123 5000.",
        ),
        Elsewhere(
            key="elsewhere:energy-supplier",
            who="your energy supplier",
            advice="Your energy firm deals with your gas or electric bill and meter. Their "
            "number is on your bill.",
            link="https://www.citizensadvice.org.uk/consumer/energy/",
            spoken="That is one for your energy supplier. Their number is on your bill.",
        ),
        Elsewhere(
            key="elsewhere:royal-mail",
            who="Royal Mail",
            advice="The post is delivered by Royal Mail or the firm that sent your parcel. "
            "It is not the council.",
            link="https://www.royalmail.com/help",
            spoken="Post and parcels are dealt with by Royal Mail or the delivery company.",
        ),
        Elsewhere(
            key="elsewhere:tv-licensing",
            who="TV Licensing",
            advice="TV Licensing deals with TV licences. It is not the council.",
            link="https://www.tvlicensing.co.uk/",
            spoken="TV licences are dealt with by TV Licensing.",
        ),
        Elsewhere(
            key="elsewhere:housing-association",
            who="your housing association",
            advice="If you rent from a housing association, they fix your home. Their number "
            "is on your rent letters.",
            link="https://www.gov.uk/council-housing-association-evictions/your-landlord",
            spoken="Repairs to a housing association home are done by the housing association. "
            "Their number is on your tenancy agreement.",
        ),
        Elsewhere(
            key="elsewhere:voa",
            who="the Valuation Office Agency",
            advice="The Valuation Office Agency sets council tax bands. You can check your band, "
            "or ask them to look at it again, on GOV.UK.",
            link="https://www.gov.uk/council-tax-bands",
            spoken="Council tax bands are set by the Valuation Office Agency, on GOV.UK.",
        ),
        Elsewhere(
            key=OUT_OF_SCOPE,
            who="",
            advice="I can help with council things, like bins, roads, homes and care. Tell me "
            "what you need, or ask for a person.",
            link="",
            spoken="I can help with council things, like bins, roads, homes and care.",
        ),
    )
}


def is_elsewhere(key: str) -> bool:
    return key.startswith(PREFIX)
