// The OWL 2 profile check of the OWL API (tests/test_engines.py): `OwlProfileCheck [DL|RL] FILE...` (DL when
// no profile is named) prints one line per violation of each ontology file given (after its axiom count),
// then "violations: N"; exit code 0 when there is none, 1 otherwise.
import java.io.File;
import java.util.Arrays;
import java.util.List;

import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.*;
import org.semanticweb.owlapi.profiles.*;

public class OwlProfileCheck {
    public static void main(String[] args) throws Exception {
        List<String> files = Arrays.asList(args);
        OWLProfile profile = new OWL2DLProfile();
        if (!files.isEmpty() && (files.get(0).equals("DL") || files.get(0).equals("RL"))) {
            profile = files.get(0).equals("RL") ? new OWL2RLProfile() : new OWL2DLProfile();
            files = files.subList(1, files.size());
        }
        int total = 0;
        for (String path : files) {
            OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
            OWLOntology ontology = manager.loadOntologyFromOntologyDocument(new File(path));
            System.out.println(path + ": axioms: " + ontology.getAxiomCount());
            OWLProfileReport report = profile.checkOntology(ontology);
            for (OWLProfileViolation v : report.getViolations()) {
                System.out.println(path + ": " + v.getClass().getSimpleName() + ": " + v.toString().replace('\n', ' '));
                total++;
            }
        }
        System.out.println("violations: " + total);
        System.exit(total == 0 ? 0 : 1);
    }
}
